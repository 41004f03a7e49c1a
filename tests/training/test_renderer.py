import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from desktop_twin.training.renderer import (
    ONNX_INPUT,
    ONNX_OPSET,
    ONNX_OUTPUT,
    PRESETS,
    BakedRenderer,
    TwinRenderer,
    renderer_config,
)

SMALL = {"width": 16, "blocks": [1, 1, 2], "image_size": 64}

# Ops of the exported graph, all implemented by ONNX Runtime's CUDA provider.
CUDA_SAFE_OPS = {"Conv", "Relu", "Add", "Mul", "Resize", "DepthToSpace", "Sigmoid", "Reshape", "Concat"}


def trained_like(config: dict, seed: int = 0) -> TwinRenderer:
    """A renderer whose zero-initialised parts (residual branches, gains) are not zero,
    so that every pathway of the reference shows in the output."""
    torch.manual_seed(seed)
    model = TwinRenderer(**config).eval()
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.normal_(0, 0.05)
    return model


def images(*shape) -> torch.Tensor:
    return torch.rand(*shape)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_config_rebuilds_the_model(preset):
    config = renderer_config(preset)
    model = TwinRenderer(**json.loads(json.dumps(config)))
    assert model.config == config
    assert renderer_config(preset) is not renderer_config(preset)


def test_unknown_preset_and_bad_size_are_refused():
    with pytest.raises(ValueError, match="standard"):
        renderer_config("ultra")
    with pytest.raises(ValueError, match="multiple of 16"):
        TwinRenderer(width=16, blocks=[1, 1, 1], image_size=72)


def test_output_shape_and_range():
    model = trained_like(SMALL)
    s = SMALL["image_size"]
    out = model(images(2, 3, s, s), images(2, 3, s, s), images(2, 3, s, s))
    assert out.shape == (2, 3, s, s)
    assert 0 <= out.min() and out.max() <= 1
    several = model(images(2, 3, s, s), images(2, 4, 3, s, s), images(2, 4, 3, s, s))
    assert several.shape == (2, 3, s, s)


def test_reference_changes_the_output():
    model = trained_like(SMALL)
    s = SMALL["image_size"]
    sketch = images(1, 3, s, s)
    a = model(sketch, images(1, 3, s, s), images(1, 3, s, s))
    b = model(sketch, images(1, 3, s, s), images(1, 3, s, s))
    assert (a - b).abs().max() > 1e-3


def test_every_parameter_learns():
    model = TwinRenderer(**SMALL)
    s = SMALL["image_size"]
    batch = [images(2, 3, s, s) for _ in range(4)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    # Residual branches start at zero, so what feeds them gets gradients a step or two later.
    for _ in range(3):
        optimizer.zero_grad()
        (model(*batch[:3]) - batch[3]).abs().mean().backward()
        optimizer.step()
    dead = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not dead


@pytest.mark.parametrize("references", [1, 3])
def test_baked_equals_unbaked(references):
    model = trained_like(SMALL)
    s = SMALL["image_size"]
    ref_image, ref_sketch = images(references, 3, s, s), images(references, 3, s, s)
    sketch = images(1, 3, s, s)
    with torch.no_grad():
        expected = model(sketch, ref_image[None], ref_sketch[None])
        baked = model.bake(ref_image, ref_sketch)
        got = baked(sketch)
    assert isinstance(baked, BakedRenderer) and baked.config == model.config
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_bake_of_a_single_reference_accepts_3d_tensors():
    model = trained_like(SMALL)
    s = SMALL["image_size"]
    ref_image, ref_sketch = images(3, s, s), images(3, s, s)
    sketch = images(1, 3, s, s)
    with torch.no_grad():
        torch.testing.assert_close(
            model.bake(ref_image, ref_sketch)(sketch), model(sketch, ref_image[None], ref_sketch[None]),
            atol=1e-5, rtol=0,
        )


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The standard preset, baked and exported as the live path uses it."""
    config = renderer_config("standard")
    s = config["image_size"]
    model = trained_like(config)
    baked = model.bake(images(3, s, s), images(3, s, s)).eval()
    path = tmp_path_factory.mktemp("renderer") / "renderer.onnx"
    torch.onnx.export(
        baked, (images(1, 3, s, s),), str(path), dynamo=True, opset_version=ONNX_OPSET,
        input_names=[ONNX_INPUT], output_names=[ONNX_OUTPUT], external_data=False, verbose=False,
    )
    return baked, path, s


def test_onnx_export_matches_torch(exported):
    baked, path, s = exported
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.shape, out.name, out.shape) == (ONNX_INPUT, [1, 3, s, s], ONNX_OUTPUT, [1, 3, s, s])
    sketch = np.random.default_rng(1).random((1, 3, s, s), dtype=np.float32)
    (got,) = session.run(None, {ONNX_INPUT: sketch})
    with torch.no_grad():
        expected = baked(torch.from_numpy(sketch)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


def test_exported_graph_is_opset_18_with_cuda_safe_ops(exported):
    _, path, _ = exported
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    onnx.checker.check_model(model)
    assert {o.version for o in model.opset_import if o.domain in ("", "ai.onnx")} == {ONNX_OPSET}
    ops = {node.op_type for node in model.graph.node}
    assert ops <= CUDA_SAFE_OPS, ops - CUDA_SAFE_OPS
    ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in model.graph.value_info}
    for node in model.graph.node:
        if node.op_type == "GridSample":
            assert ranks.get(node.input[0]) == 4, "5-D GridSample has no CUDA kernel"
