"""Files: stored uploads, photos (with their sizes), documents, getFile and the download route."""

from __future__ import annotations

import copy
import mimetypes
import re
import secrets
import struct
from typing import Any

from aiohttp import web

from . import errors as E
from .errors import BotApiError, bad_request
from .models import StoredFile, UploadedFile
from .params import _Params


class FilesMixin:
    """LocalBotApi's files (state in ``_files``, ``_files_by_path``, ``_photo_sets``)."""

    def file_bytes(self, file_id: str) -> bytes | None:
        file = self._files.get(file_id)
        return file.data if file else None

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._error_response(BotApiError(401, E.UNAUTHORIZED))
        file = self._files_by_path.get(request.match_info["path"])
        if file is None or file.data is None:
            return self._error_response(BotApiError(404, E.NOT_FOUND))
        return web.Response(
            body=file.data, content_type=file.mime_type or "application/octet-stream"
        )

    def _store_file(
        self,
        kind: str,
        data: bytes | None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        n = next(self._file_counter)
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}.get(
            kind, "BQAC"
        )
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        if kind == "document" and mime_type is None:
            mime_type = "application/octet-stream"
        file = StoredFile(
            file_id=f"{prefix}AgIAAxkBAA{n:05d}{secrets.token_urlsafe(12)}",
            file_unique_id=f"AQAD{n:05d}{secrets.token_urlsafe(4)}",
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            url=url,
        )
        self._files[file.file_id] = file
        return file

    def _photo_sizes(
        self, data: bytes | None, *, mime_type: str | None, url: str | None = None
    ) -> list[dict[str, Any]]:
        """PhotoSize list as Telegram returns it: a 320px thumbnail plus the full size when the
        photo is larger than that (smallest first; PTB's ``message.photo[-1]`` is the largest)."""
        width, height = _image_size(data) if data else (0, 0)
        if not width:
            width, height = 800, 600
        sizes = []
        if max(width, height) > 320:
            scale = 320 / max(width, height)
            sizes.append((max(int(width * scale), 1), max(int(height * scale), 1)))
        sizes.append((width, height))
        result = []
        for w, h in sizes:
            file = self._store_file(
                "photo", data, mime_type=mime_type or "image/jpeg", url=url, width=w, height=h
            )
            size = {"file_id": file.file_id, "file_unique_id": file.file_unique_id,
                    "width": w, "height": h}
            if file.file_size is not None:
                size["file_size"] = file.file_size
            result.append(size)
        for size in result:
            self._photo_sets[size["file_id"]] = result
        return copy.deepcopy(result)

    @staticmethod
    def _document_dict(file: StoredFile) -> dict[str, Any]:
        document: dict[str, Any] = {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
        }
        if file.file_name:
            document["file_name"] = file.file_name
        if file.mime_type:
            document["mime_type"] = file.mime_type
        if file.file_size is not None:
            document["file_size"] = file.file_size
        if file.kind in ("video",):
            document.update({"width": file.width or 640, "height": file.height or 360,
                             "duration": 0})
        if file.kind in ("audio",):
            document["duration"] = 0
        return document

    def _input_file(self, p: _Params, name: str, kind: str, value: Any = None) -> StoredFile:
        """Resolve a file parameter: an upload (multipart part ``name`` or ``attach://x``), a
        file_id the bot may reuse, or an HTTP URL."""
        upload = p.files.get(name) if value is None else None
        if value is None:
            value = p.raw(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = p.files.get(value[len("attach://"):])
            if upload is None:
                raise bad_request("can't parse InputMedia: media not found")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            return self._store_file(
                kind, upload.data, file_name=_clean_file_name(upload.filename, kind),
                mime_type=_upload_mime(upload),
            )
        if value in (None, ""):
            raise bad_request(f"there is no {kind} in the request")
        value = str(value).strip()
        known = self._files.get(value)
        if known is not None:
            if (known.kind == "photo") != (kind == "photo"):
                raise bad_request(
                    f"can't use file of type {known.kind.capitalize()} as {kind.capitalize()}"
                )
            return known
        if re.match(r"^https?://", value, re.IGNORECASE):
            # Deviation: Telegram would download the URL; here it is stored without bytes.
            name_part = value.rsplit("/", 1)[-1].split("?")[0] or None
            return self._store_file(kind, None, file_name=name_part, url=value)
        raise bad_request(E.WRONG_FILE_ID)

    async def _get_file(self, p: _Params) -> dict[str, Any]:
        file_id = (p.str("file_id") or "").strip()
        file = self._files.get(file_id)
        if file is None:
            raise bad_request(E.INVALID_FILE_ID)
        if file.file_path is None and file.data is not None:
            folder = {"photo": "photos", "document": "documents", "video": "videos",
                      "audio": "music"}.get(file.kind, "documents")
            extension = ""
            if file.file_name and "." in file.file_name:
                extension = "." + file.file_name.rsplit(".", 1)[1]
            elif file.mime_type:
                extension = mimetypes.guess_extension(file.mime_type) or ""
                extension = ".jpg" if extension in (".jpe", ".jpeg") else extension
            file.file_path = f"{folder}/file_{len(self._files_by_path)}{extension}"
            self._files_by_path[file.file_path] = file
        result: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
        if file.file_size is not None:
            result["file_size"] = file.file_size
        if file.file_path:
            result["file_path"] = file.file_path
        return result

    def _photo_sizes_for(self, file: StoredFile) -> tuple[list[dict[str, Any]], StoredFile]:
        """The PhotoSize list for a photo being sent, and the file of its largest size. A photo
        re-sent by the file_id of any of its sizes comes back with the same sizes."""
        if file.file_id in self._photo_sets:
            sizes = copy.deepcopy(self._photo_sets[file.file_id])
        else:
            sizes = self._photo_sizes(file.data, mime_type=file.mime_type, url=file.url)
            self._files.pop(file.file_id, None)  # the upload itself is known by its sizes
        return sizes, self._files[sizes[-1]["file_id"]]


def _clean_file_name(name: str | None, kind: str) -> str | None:
    if kind == "photo":
        return None  # Telegram keeps no name for photos
    if not name:
        return None
    return name.replace("/", "_").replace("\\", "_").strip() or None


def _upload_mime(upload: UploadedFile) -> str | None:
    guessed = mimetypes.guess_type(upload.filename or "")[0]
    # PTB sends application/octet-stream when it cannot guess; prefer the name's type then.
    if upload.content_type and upload.content_type != "application/octet-stream":
        return upload.content_type
    return guessed or upload.content_type


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG, GIF or JPEG header; (0, 0) when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                          0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            length = struct.unpack(">H", data[i + 2 : i + 4])[0]
            i += 2 + length
    return 0, 0
