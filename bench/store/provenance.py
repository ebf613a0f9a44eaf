"""Where a number came from: versions, device, git commit, host, time.  Stored in every record."""
from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("sparsebench", "torch", "numpy", "scipy", "scikit-learn", "pandas", "entmax")


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES + extra:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if res.returncode != 0:
        return None
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                           capture_output=True, text=True, timeout=5).stdout.strip()
    return res.stdout.strip() + ("-dirty" if dirty else "")


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


#: The frozen encoder's libraries, as a record's encoder identity names them, and their distributions.
ENCODER_LIBRARIES = {"sentence_transformers": "sentence-transformers", "transformers": "transformers"}


def recorded_versions(record: dict) -> dict[str, set[str]]:
    """The package versions a record's numbers were made under: its training's, its re-scoring's
    where it was re-scored, and its frozen encoder's libraries (a set per package: they can differ)."""
    prov = record.get("provenance") or {}
    out: dict[str, set[str]] = {}
    for versions in (prov.get("versions"), (prov.get("scoring") or {}).get("versions")):
        for name, version in (versions or {}).items():
            out.setdefault(name, set()).add(str(version))
    encoder = (prov.get("encoder") or {}).get("encoder") or {}
    for key, dist in ENCODER_LIBRARIES.items():
        if key in encoder:
            out.setdefault(dist, set()).add(str(encoder[key]))
    return out


def version_drift(records: list[dict], installed: dict[str, str] | None = None) -> tuple[int, dict[str, tuple[list[str], str]]]:
    """(how many records, {package: (their versions, installed)}) for records made under versions other
    than the installed ones.  Why: a cached cell's numbers stand as recorded, but a reader of a table
    that mixes them with new cells should be told that the packages changed in between."""
    if not records:  # nothing reused: no need to read the installed versions
        return 0, {}
    installed = installed or package_versions(tuple(ENCODER_LIBRARIES.values()))
    drifted, packages = 0, {}
    for record in records:
        differ = {name: found for name, found in recorded_versions(record).items()
                  if name in installed and found - {installed[name]}}
        drifted += bool(differ)
        for name, found in differ.items():
            packages.setdefault(name, (set(), installed[name]))[0].update(found - {installed[name]})
    return drifted, {name: (sorted(found), now) for name, (found, now) in sorted(packages.items())}


def drift_note(records: list[dict], installed: dict[str, str] | None = None) -> str | None:
    """One line for the run's output, or None when every record was made under the installed versions."""
    drifted, packages = version_drift(records, installed)
    if not drifted:
        return None
    listed = "; ".join(f"{name} {', '.join(found)} (installed {now})" for name, (found, now) in packages.items())
    return (f"note: {drifted} cached cell(s) were made under other package versions: {listed}. Their numbers "
            "are as recorded (each record's provenance has its versions); --resume always recomputes them")
