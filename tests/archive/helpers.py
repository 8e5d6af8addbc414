"""Archive packages in tests: export one (after the signer's checkpoint), verify it, take it apart and put it back
together the way someone tampering with it would."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from archive import verifier
from audit import services
from printing import archive_package
from telegrams.models import Telegram


def export(telegram: Telegram, actor) -> bytes:
    """What beat and the clerk's download do: a signed checkpoint covering the 归档 entry, then the package."""
    services.sign_head()
    return archive_package.build(Telegram.objects.get(pk=telegram.pk), actor=actor).content


def files_of(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        return {name: z.read(name) for name in z.namelist()}


def repack(package: bytes, change: Callable[[dict[str, bytes]], None], *, fix_hash_list: bool = False) -> bytes:
    """The package with `change` applied to its files; `fix_hash_list`: SHA256SUMS rewritten to match (a careful
    tamperer), so only the signed entries can still tell."""
    files = files_of(package)
    change(files)
    if fix_hash_list:
        files.pop(verifier.HASH_LIST, None)
        files[verifier.HASH_LIST] = verifier.hash_list(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


def problem(package: bytes, public_key: str | None = None) -> verifier.Problem | None:
    try:
        verifier.verify(package, public_key)
    except verifier.Problem as found:
        return found
    return None
