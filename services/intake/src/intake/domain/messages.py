"""Every message a client can read, in English and Indonesian (``Accept-Language: id``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EN, ID = "en", "id"

FIELD_MESSAGES: dict[str, dict[str, str]] = {
    "required": {EN: "is required", ID: "wajib diisi"},
    "unknown_field": {EN: "is not a known field", ID: "bukan kolom yang dikenal"},
    "unknown_attribute": {
        EN: "service {service} has no attribute {code}",
        ID: "layanan {service} tidak memiliki atribut {code}",
    },
    "unknown_service": {
        EN: "no service has the code {value!r}",
        ID: "tidak ada layanan dengan kode {value!r}",
    },
    "unknown_region": {
        EN: "region code {value!r} does not exist",
        ID: "kode wilayah {value!r} tidak ada",
    },
    "region_not_covered": {
        EN: "service {service} is not offered in region {value}",
        ID: "layanan {service} tidak tersedia di wilayah {value}",
    },
    "unknown_agency": {
        EN: "no agency has the code {value!r}",
        ID: "tidak ada instansi dengan kode {value!r}",
    },
    "nik_format": {EN: "a NIK has exactly 16 digits", ID: "NIK harus terdiri dari 16 digit angka"},
    "nik_province": {EN: "the NIK's province code is unknown", ID: "kode provinsi pada NIK tidak dikenal"},
    "nik_wilayah": {
        EN: "the NIK's regency and district codes must not be 00",
        ID: "kode kabupaten/kota dan kecamatan pada NIK tidak boleh 00",
    },
    "nik_birth_date": {
        EN: "the NIK's birth date is not a real date",
        ID: "tanggal lahir pada NIK tidak valid",
    },
    "nik_serial": {EN: "the NIK's serial number must not be 0000", ID: "nomor urut NIK tidak boleh 0000"},
    "type_string": {EN: "must be a string", ID: "harus berupa teks"},
    "type_number": {EN: "must be a number", ID: "harus berupa angka"},
    "type_integer": {EN: "must be a whole number", ID: "harus berupa bilangan bulat"},
    "type_boolean": {EN: "must be true or false", ID: "harus bernilai true atau false"},
    "type_date": {EN: "must be a date (YYYY-MM-DD)", ID: "harus berupa tanggal (YYYY-MM-DD)"},
    "type_object": {EN: "must be an object", ID: "harus berupa objek"},
    "type_array": {EN: "must be an array", ID: "harus berupa larik (array)"},
    "not_in_values": {EN: "must be one of: {values}", ID: "harus salah satu dari: {values}"},
    "too_long": {EN: "must be at most {max} characters", ID: "paling banyak {max} karakter"},
    "too_short": {EN: "must not be empty", ID: "tidak boleh kosong"},
    "too_many": {EN: "at most {max} items are allowed", ID: "paling banyak {max} butir"},
    "not_in_enum": {EN: "must be one of: {values}", ID: "harus salah satu dari: {values}"},
    "pattern": {EN: "has an invalid format", ID: "formatnya tidak valid"},
    "min_value": {EN: "must be at least {limit}", ID: "paling kecil {limit}"},
    "max_value": {EN: "must be at most {limit}", ID: "paling besar {limit}"},
    "invalid": {EN: "is invalid ({detail})", ID: "tidak valid ({detail})"},
    "invalid_unicode": {
        EN: "contains a lone surrogate (not valid Unicode text)",
        ID: "berisi surrogate tunggal (bukan teks Unicode yang valid)",
    },
    "control_character": {
        EN: "contains a control character (only tab and line breaks are allowed)",
        ID: "berisi karakter kontrol (hanya tab dan pergantian baris yang diizinkan)",
    },
    "number_too_long": {
        EN: "is a number too long to read (at most {max} characters)",
        ID: "angka terlalu panjang untuk dibaca (paling banyak {max} karakter)",
    },
    "number_too_large": {EN: "is too large a number", ID: "angkanya terlalu besar"},
    "out_of_range": {EN: "must be between {min} and {max}", ID: "harus antara {min} dan {max}"},
    "item_too_large": {
        EN: "the submission is {size} bytes as JSON; at most {max} are allowed",
        ID: "permohonan berukuran {size} byte sebagai JSON; paling banyak {max} byte",
    },
    "reason_required": {
        EN: "is required when the status is {status}",
        ID: "wajib diisi bila statusnya {status}",
    },
}

PROBLEMS: dict[str, dict[str, str]] = {
    "validation": {EN: "Validation failed", ID: "Validasi gagal"},
    "validation_detail": {
        EN: "{count} field(s) are invalid; see errors",
        ID: "{count} kolom tidak valid; lihat errors",
    },
    "malformed_json": {EN: "Malformed JSON", ID: "JSON tidak valid"},
    "malformed_json_detail": {
        EN: "the body is not valid JSON: {detail}",
        ID: "isi permintaan bukan JSON yang valid: {detail}",
    },
    "invalid_json_value": {EN: "Invalid value in JSON", ID: "Nilai JSON tidak valid"},
    "invalid_json_value_detail": {
        EN: "{count} value(s) of the body cannot be read; see errors",
        ID: "{count} nilai dalam isi permintaan tidak dapat dibaca; lihat errors",
    },
    "unsupported_media_type": {EN: "Unsupported media type", ID: "Jenis media tidak didukung"},
    "unsupported_media_type_detail": {
        EN: "send the body as {expected}",
        ID: "kirim isi permintaan sebagai {expected}",
    },
    "too_large": {EN: "Payload too large", ID: "Isi permintaan terlalu besar"},
    "too_large_detail": {
        EN: "the body must not exceed {limit} bytes",
        ID: "isi permintaan tidak boleh melebihi {limit} byte",
    },
    "not_found": {EN: "Not found", ID: "Tidak ditemukan"},
    "not_found_detail": {
        EN: "no request has tracking number {value}",
        ID: "tidak ada permohonan dengan nomor registrasi {value}",
    },
    "tn_check": {
        EN: "{value} is not a valid tracking number: its check character does not match, so it was "
        "probably mistyped; check each character and try again",
        ID: "{value} bukan nomor registrasi yang valid: karakter pemeriksanya tidak cocok, kemungkinan "
        "ada salah ketik; periksa setiap karakter lalu coba lagi",
    },
    "tn_format": {
        EN: "{value} is not a tracking number; they look like SP-1A2B-3C4D-5E6F-7",
        ID: "{value} bukan nomor registrasi; formatnya seperti SP-1A2B-3C4D-5E6F-7",
    },
    "idempotency_conflict": {EN: "Idempotency key reused", ID: "Kunci idempotensi sudah dipakai"},
    "idempotency_conflict_detail": {
        EN: "this Idempotency-Key was already used with a different request body",
        ID: "Idempotency-Key ini sudah dipakai untuk isi permintaan yang berbeda",
    },
    "unavailable": {EN: "Service unavailable", ID: "Layanan tidak tersedia"},
    "unavailable_detail": {
        EN: "the request could not be stored durably in time; nothing was accepted, retry later",
        ID: "permohonan belum dapat disimpan tepat waktu; tidak ada yang diterima, coba lagi nanti",
    },
    "not_confirmed_detail": {
        EN: "the broker did not confirm in time, so it may still have been accepted: retry with the same "
        "Idempotency-Key to get its tracking number (a retry without one may create a second request)",
        ID: "broker belum mengonfirmasi tepat waktu, jadi mungkin sudah diterima: ulangi dengan "
        "Idempotency-Key yang sama untuk mendapat nomor pelacakannya "
        "(tanpa kunci dapat tercipta permohonan kedua)",
    },
    "report_unavailable_detail": {
        EN: "the broker did not confirm the report in time, so it may still have been delivered: retry with "
        "the same Idempotency-Key and it is applied once (without one, a retry may be a second report)",
        ID: "broker belum mengonfirmasi laporan tepat waktu, jadi mungkin sudah terkirim: ulangi dengan "
        "Idempotency-Key yang sama agar diterapkan sekali (tanpa kunci dapat menjadi laporan kedua)",
    },
    "report_conflict_detail": {
        EN: "this Idempotency-Key was already used for a different report (another request, status or body)",
        ID: "Idempotency-Key ini sudah dipakai untuk laporan lain (permohonan, status atau isi berbeda)",
    },
    "catalog_unavailable_detail": {
        EN: "the service catalog has not been loaded yet; retry later",
        ID: "katalog layanan belum dimuat; coba lagi nanti",
    },
    "survey_not_completed": {EN: "Request not completed", ID: "Permohonan belum selesai"},
    "survey_not_completed_detail": {
        EN: "the survey opens when the request is completed (it is {current})",
        ID: "survei dibuka setelah permohonan selesai (statusnya {current})",
    },
    "survey_done": {EN: "Survey already answered", ID: "Survei sudah diisi"},
    "survey_done_detail": {
        EN: "the survey of this request was already answered",
        ID: "survei untuk permohonan ini sudah diisi",
    },
    "bad_request": {EN: "Bad request", ID: "Permintaan tidak valid"},
    "unauthorized": {EN: "Unauthorized", ID: "Tidak terautentikasi"},
    "api_key_missing_detail": {
        EN: "send the agency's API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
        ID: "kirim kunci API instansi sebagai 'Authorization: Bearer <kunci>' atau 'X-API-Key: <kunci>'",
    },
    "api_key_invalid_detail": {
        EN: "the API key is unknown or was revoked",
        ID: "kunci API tidak dikenal atau sudah dicabut",
    },
    "admin_token_missing_detail": {
        EN: "send the admin token as 'Authorization: Bearer <token>'",
        ID: "kirim token admin sebagai 'Authorization: Bearer <token>'",
    },
    "forbidden": {EN: "Forbidden", ID: "Tidak diizinkan"},
    "admin_token_wrong_detail": {EN: "the admin token is wrong", ID: "token admin salah"},
    "not_assignee_detail": {
        EN: "request {value} is not currently assigned to agency {agency}; only the assigned agency may "
        "report its status",
        ID: "permohonan {value} tidak sedang ditugaskan kepada instansi {agency}; hanya instansi yang "
        "ditugaskan yang boleh melaporkan statusnya",
    },
    "unknown_agency_detail": {
        EN: "no agency has the code {value!r} in the catalog",
        ID: "tidak ada instansi dengan kode {value!r} di katalog",
    },
    "unknown_key_detail": {
        EN: "agency {agency} has no API key {value!r}",
        ID: "instansi {agency} tidak memiliki kunci API {value!r}",
    },
}


@dataclass(frozen=True)
class FieldError:
    """One invalid field: where (a JSON pointer), what went wrong (a code) and the details."""

    pointer: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str = EN) -> dict[str, str]:
        """The ``{"pointer", "detail", "code"}`` entry of a problem's ``errors`` list."""
        return {
            "pointer": self.pointer,
            "detail": field_message(self.code, lang, self.params),
            "code": self.code,
        }


def field_message(code: str, lang: str, params: dict[str, Any] | None = None) -> str:
    """The message for a field error code, in ``lang`` (English when unknown)."""
    templates = FIELD_MESSAGES.get(code, FIELD_MESSAGES["invalid"])
    return _fill(templates.get(lang, templates[EN]), params or {})


def text(key: str, lang: str, **params: Any) -> str:
    """A problem title or detail in ``lang``."""
    templates = PROBLEMS[key]
    return _fill(templates.get(lang, templates[EN]), params)


def pick_language(accept_language: str | None) -> str:
    """``id`` when the client prefers Indonesian (``id``, ``id-ID``, ``in``), else ``en``."""
    best, best_q = EN, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        lang = ID if primary in ("id", "in") else EN if primary in ("en", "*") else None
        if lang and q > best_q:
            best, best_q = lang, q
    return best


def _fill(template: str, params: dict[str, Any]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template
