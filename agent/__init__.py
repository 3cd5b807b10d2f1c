"""The hardware agent: a local websockets server on each laptop that drives the bus's devices
(camera, card reader, receipt printer) for the browser. It never imports `webapp`, and `webapp`
never imports a device library (import contracts in pyproject.toml)."""

__version__ = "1.0.0"
