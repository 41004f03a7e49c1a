"""What every page is given: settings, the error relay, the worker pool, the chosen twin, the
twins' .twin files. Pages take it in __init__ and listen to its signals."""

from dataclasses import dataclass

from desktop_twin.ui.bundles import TwinBundles
from desktop_twin.ui.devices import DeviceCatalog
from desktop_twin.ui.errors import ErrorRelay
from desktop_twin.ui.settings import AppSettings
from desktop_twin.ui.twins import TwinSelection
from desktop_twin.ui.workers import WorkerPool


@dataclass
class AppContext:
    settings: AppSettings
    errors: ErrorRelay
    pool: WorkerPool
    selection: TwinSelection
    bundles: TwinBundles
    devices: DeviceCatalog

    @classmethod
    def create(cls, settings: AppSettings | None = None, measure_quality: bool = True) -> "AppContext":
        errors = ErrorRelay()
        pool = WorkerPool(errors)
        return cls(settings or AppSettings(), errors, pool, TwinSelection(), TwinBundles(pool, measure_quality),
                   DeviceCatalog(pool))

    def shutdown(self, timeout_seconds: float = 60.0) -> bool:
        """Cancel every job and wait for it (training writes its checkpoint on the way out)."""
        ended = self.pool.shutdown(timeout_seconds)
        self.bundles.close()
        self.settings.sync()
        return ended
