"""Where an uploaded import waits between its preview and its confirmation.

django-import-export keeps the upload in a temporary file and puts the file's name in
the confirmation form; its own storage then opens whatever name the form posts back,
so a crafted form could read (and delete) any file in the server's temp directory.
Here the name in the form is one the server chose and signed, bound to the user who
uploaded it; any other name, or another user's, is refused as "no longer available".
The files live in a directory of our own (UPLOAD_DIR), readable by the server only,
and are swept after UPLOAD_MAX_AGE_HOURS.
"""

import contextlib
import contextvars
import os
import re
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core import signing
from import_export.tmp_storages import BaseStorage

SALT = "backoffice.uploads"
TOKEN = re.compile(r"[0-9a-f]{32}")

_uploader = contextvars.ContextVar("uploader", default=None)


class UploadNotStored(Exception):
    """The server could not store an upload (its disk full): nothing of it was kept."""


def write_file(path, data):
    with open(path, "wb") as file:
        file.write(data)


class UploadUnavailable(Exception):
    """The confirmation names no upload of this user that is still waiting."""


@contextlib.contextmanager
def uploads_of(user):
    """Within this block, uploads are stored for and read back only by `user`."""
    token = _uploader.set(user.pk)
    try:
        yield
    finally:
        _uploader.reset(token)


def upload_dir():
    path = Path(settings.UPLOAD_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def sweep(directory, now=None):
    """Remove uploads left waiting longer than UPLOAD_MAX_AGE_HOURS (a preview never confirmed)."""
    limit = (now or time.time()) - settings.UPLOAD_MAX_AGE_HOURS * 3600
    for entry in os.scandir(directory):
        if TOKEN.fullmatch(entry.name) and entry.stat().st_mtime < limit:
            with contextlib.suppress(FileNotFoundError):
                os.remove(entry.path)


class SignedUserUploadStorage(BaseStorage):
    """import-export's temporary storage, keyed by a signed (file, user) name."""

    def _owner(self):
        owner = _uploader.get()
        if owner is None:
            raise UploadUnavailable("uploads are stored only within uploads_of(user)")
        return owner

    def _path(self):
        try:
            token, owner = signing.loads(self.name or "", salt=SALT, max_age=settings.UPLOAD_MAX_AGE_HOURS * 3600)
        except (signing.BadSignature, ValueError, TypeError):
            raise UploadUnavailable(self.name) from None
        if owner != self._owner() or not isinstance(token, str) or not TOKEN.fullmatch(token):
            raise UploadUnavailable(self.name)
        return upload_dir() / token

    def save(self, data):
        directory = upload_dir()
        sweep(directory)
        token = uuid.uuid4().hex
        self.name = signing.dumps([token, self._owner()], salt=SALT)
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        path = directory / token
        try:
            write_file(path, data)
        except OSError as error:
            # A full disk (or any failed write) leaves no half file behind to be read as the upload.
            with contextlib.suppress(OSError):
                os.remove(path)
            raise UploadNotStored(str(error)) from error

    def read(self):
        path = self._path()
        try:
            with open(path, self.read_mode, encoding=None if "b" in self.read_mode else self.encoding) as file:
                return file.read()
        except FileNotFoundError:
            raise UploadUnavailable(self.name) from None

    def remove(self):
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path())
