"""Where an uploaded import waits between its preview and its confirmation.

django-import-export keeps the upload in a temporary file and puts the file's name in
the confirmation form; its own storage then opens whatever name the form posts back,
so a crafted form could read (and delete) any file in the server's temp directory.
Here the name in the form is one the server chose and signed, bound to the user who
uploaded it; any other name, or another user's, is refused as "no longer available".
The files are kept through Django's storage API (STORAGES["uploads"]): by default a directory
of our own (UPLOAD_DIR), readable by the server only; with several app servers, a storage
they all reach (a shared directory or an object store), since the preview and its
confirmation may land on different servers. They are swept after UPLOAD_MAX_AGE_HOURS.
"""

import contextlib
import contextvars
import datetime as dt
import io
import os
import re
import uuid

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.utils import timezone
from import_export.tmp_storages import BaseStorage

SALT = "backoffice.uploads"
TOKEN = re.compile(r"[0-9a-f]{32}")

_uploader = contextvars.ContextVar("uploader", default=None)


class UploadNotStored(Exception):
    """The server could not store an upload (its disk full): nothing of it was kept."""


def write_file(storage, name, data):
    stored = storage.save(name, ContentFile(data))
    if stored != name:
        raise OSError(f"the upload storage kept {name} as {stored}")


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


class UploadDirStorage(FileSystemStorage):
    """The default: files in UPLOAD_DIR (read at each use), the directory 0700 and each file 0600."""

    def __init__(self, **kwargs):
        kwargs.setdefault("directory_permissions_mode", 0o700)
        kwargs.setdefault("file_permissions_mode", 0o600)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.UPLOAD_DIR)

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def upload_storage():
    return storages["uploads"]


def sweep(storage=None, now=None):
    """Remove uploads left waiting longer than UPLOAD_MAX_AGE_HOURS (a preview never confirmed)."""
    storage = storage or upload_storage()
    limit = (now or timezone.now()) - dt.timedelta(hours=settings.UPLOAD_MAX_AGE_HOURS)
    try:
        _, names = storage.listdir("")
    except FileNotFoundError:
        return
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            if TOKEN.fullmatch(name) and storage.get_modified_time(name) < limit:
                storage.delete(name)


class SignedUserUploadStorage(BaseStorage):
    """import-export's temporary storage, keyed by a signed (file, user) name."""

    def _owner(self):
        owner = _uploader.get()
        if owner is None:
            raise UploadUnavailable("uploads are stored only within uploads_of(user)")
        return owner

    def _stored_name(self):
        try:
            token, owner = signing.loads(self.name or "", salt=SALT, max_age=settings.UPLOAD_MAX_AGE_HOURS * 3600)
        except (signing.BadSignature, ValueError, TypeError):
            raise UploadUnavailable(self.name) from None
        if owner != self._owner() or not isinstance(token, str) or not TOKEN.fullmatch(token):
            raise UploadUnavailable(self.name)
        return token

    def save(self, data):
        storage = upload_storage()
        sweep(storage)
        token = uuid.uuid4().hex
        self.name = signing.dumps([token, self._owner()], salt=SALT)
        if isinstance(data, str):
            data = data.encode(self.encoding or "utf-8")
        try:
            write_file(storage, token, data)
        except OSError as error:
            # A full disk (or any failed write) leaves no half file behind to be read as the upload.
            with contextlib.suppress(OSError):
                storage.delete(token)
            raise UploadNotStored(str(error)) from error

    def read(self):
        name = self._stored_name()
        try:
            with upload_storage().open(name, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            raise UploadUnavailable(self.name) from None
        if "b" in self.read_mode:
            return data
        # As open() in text mode reads it: the encoding given, universal newlines.
        return io.TextIOWrapper(io.BytesIO(data), encoding=self.encoding).read()

    def remove(self):
        with contextlib.suppress(FileNotFoundError):
            upload_storage().delete(self._stored_name())
