"""Reconstruction losses: L1 and SSIM, weighted towards the mouth and eyes where people look."""

import torch
import torch.nn.functional as F

_SSIM_C1, _SSIM_C2 = 0.01**2, 0.03**2


def _gaussian_kernel(device, dtype, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32, device=device) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return (g / g.sum()).to(dtype)


def ssim_map(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-pixel SSIM of two (B, C, H, W) images in [0, 1], averaged over channels: (B, 1, H, W)."""
    g = _gaussian_kernel(a.device, a.dtype)
    channels, pad = a.shape[1], len(g) // 2
    rows = g.view(1, 1, 1, -1).expand(channels, 1, 1, len(g))
    columns = g.view(1, 1, -1, 1).expand(channels, 1, len(g), 1)

    def blur(x):  # the Gaussian is separable: two 1-D passes cost a fifth of one 2-D pass
        x = F.conv2d(x, rows, padding=(0, pad), groups=channels)
        return F.conv2d(x, columns, padding=(pad, 0), groups=channels)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    value = ((2 * mu_a * mu_b + _SSIM_C1) * (2 * cov + _SSIM_C2)) / (
        (mu_a**2 + mu_b**2 + _SSIM_C1) * (var_a + var_b + _SSIM_C2))
    return value.mean(1, keepdim=True)


def reconstruction_loss(fake: torch.Tensor, real: torch.Tensor, weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Weighted L1 + SSIM; weights (B, 1, H, W) raise the mouth and eyes above the rest."""
    norm = weights.mean()
    l1 = ((fake - real).abs().mean(1, keepdim=True) * weights).mean() / norm
    dssim = ((1.0 - ssim_map(fake, real)) * weights).mean() / norm
    return {"l1": l1, "ssim": dssim, "total": l1 + 0.5 * dssim}
