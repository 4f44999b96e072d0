"""server.json as a release publishes it: the ``mcpb`` entry gets the bundle's SHA-256 (``fileSha256``).

The committed server.json leaves ``fileSha256`` out (the schema allows that; the registry requires it when
publishing an mcpb entry), because the digest exists only once the release's bundle is packed. The release
workflow runs::

    python scripts/registry_entry.py dist/mcp-token-counter.mcpb > dist/server.json

and checks the ``identifier`` URL names the bundle's file and the version's tag.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent


class ReleaseMismatch(Exception):
    """server.json's mcpb entry does not point at this bundle or this version's release."""


def for_release(server_json: Mapping[str, Any], bundle: Path) -> dict[str, Any]:
    """A copy of ``server_json`` whose mcpb entry carries ``bundle``'s SHA-256.

    Raises:
        ReleaseMismatch: no mcpb entry, or its URL does not end with ``v{version}/{bundle name}``.
    """
    entry: dict[str, Any] = copy.deepcopy(dict(server_json))
    packages: list[dict[str, Any]] = entry.get("packages", [])
    mcpb = [package for package in packages if package.get("registryType") == "mcpb"]
    if len(mcpb) != 1:
        raise ReleaseMismatch(f"server.json has {len(mcpb)} mcpb entries; expected one")
    (package,) = mcpb
    expected_tail = f"/v{entry['version']}/{bundle.name}"
    if not str(package.get("identifier", "")).endswith(expected_tail):
        raise ReleaseMismatch(f"the mcpb identifier {package.get('identifier')!r} does not end with {expected_tail!r}")
    package["fileSha256"] = hashlib.sha256(bundle.read_bytes()).hexdigest()
    return entry


def main(argv: Sequence[str]) -> int:
    """Print the release's server.json for the bundle named in ``argv``."""
    if len(argv) != 1:
        sys.stderr.write("usage: registry_entry.py BUNDLE.mcpb\n")
        return 2
    server_json = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
    try:
        released = for_release(server_json, Path(argv[0]))
    except (ReleaseMismatch, OSError) as exc:
        sys.stderr.write(f"registry_entry.py: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(released, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
