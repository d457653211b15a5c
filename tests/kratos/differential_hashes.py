"""Real password hashes of ``PASSWORD`` in every family Kratos imports (``hash/hash_comparator.go``).

Each one lets its user log in on a real Kratos, which the differential test does: a hash that only had the
right shape would fail there. The bcrypt, argon2, Firebase scrypt and crypt(3) hashes were made once with
the reference implementations (golang.org/x/crypto, glibc crypt) and are kept as text; the others are
computed here with the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PASSWORD = "ory-frames import password 3"
_PW = PASSWORD.encode()
_SALT = b"NaCl-and-pepper!"
_KEY = b"hmac-signing-key"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _raw64(data: bytes) -> str:
    return _b64(data).rstrip("=")


def _pbkdf2(alg: str) -> str:
    key = hashlib.pbkdf2_hmac(alg, _PW, _SALT, 1200, 32)
    return f"$pbkdf2-{alg}$i=1200,l=32${_raw64(_SALT)}${_raw64(key)}"


def _scrypt() -> str:
    # Kratos' `ln` here is N itself, not its logarithm (wire notes "Imported password hashes").
    key = hashlib.scrypt(_PW, salt=_SALT, n=1024, r=8, p=1, dklen=32)
    return f"$scrypt$ln=1024,r=8,p=1${_b64(_SALT)}${_b64(key)}"


def _ssha(tag: str, algorithm: str) -> str:
    return "{" + tag + "}" + _b64(hashlib.new(algorithm, _PW + _SALT).digest() + _SALT)


def _sha(algorithm: str) -> str:
    digest = hashlib.new(algorithm, _SALT + _PW).digest()
    return f"${algorithm}$pf={_b64(b'{SALT}{PASSWORD}')}${_b64(_SALT)}${_b64(digest)}"


def _md5() -> str:
    return "$md5$" + _b64(hashlib.md5(_PW).digest())  # an imported legacy hash, as Ory reads it


def _hmac(algorithm: str) -> str:
    mac = hmac.new(_KEY, _PW, algorithm).hexdigest().encode()
    return f"$hmac-{algorithm}${_b64(mac)}${_b64(_KEY)}"


HASHES: dict[str, str] = {
    "bcrypt": "$2a$05$jVFDDPpv.EzKwf4rz.65bOeGeTgr.YcKV3evHXCFom41oCydTKNwO",
    "argon2id": "$argon2id$v=19$m=1024,t=2,p=1$TmFDbC1hbmQtcGVwcGVyIQ$E1mTsDBfoeEnIsrkdVuNGfEE72BE01PSYoskQDCjWNc",
    "argon2i": "$argon2i$v=19$m=1024,t=2,p=1$TmFDbC1hbmQtcGVwcGVyIQ$Vgw8tARZdBaM99D3Nn1bn6tl5KZxP7RgJVX9wAQ58PI",
    "pbkdf2-sha256": _pbkdf2("sha256"),
    "pbkdf2-sha512": _pbkdf2("sha512"),
    "scrypt": _scrypt(),
    "firescrypt": (
        "$firescrypt$ln=10,r=8,p=1$TmFDbC1hbmQtcGVwcGVyIQ==$n/5NnwKXBBqEW/WTK8WAvGPT28aRaZ4NTj70T060cffIF6W/Iwe"
        "LEZx+nr/qRTSxCt3a$Bw==$ZmlyZWJhc2Utc2lnbmVyLWtleS1mb3Itb3J5LWZyYW1lcy10ZXN0cy0wMTIzNDU2Nzg5"
    ),
    "md5-crypt": "$md5-crypt$saltsalt$6Bf60ZEJDCyf0ixIhQiAz1",
    "sha256-crypt": "$sha256-crypt$saltsaltsaltsalt$XDuGklLnb6SYwLO.H1sNWxfvRK0H6kvPHBFdJLVGnx9",
    "sha512-crypt": (
        "$sha512-crypt$saltsaltsaltsalt$06q3QN/x0aM9PtAKmcDzNcvuX6ZDvwlJYVRFY0/RVPWBfxabWJ3u0esjUDctlO5CKaj"
        ".80KbW4tdx9cCUm3YV0"
    ),
    "ssha": _ssha("SSHA", "sha1"),
    "ssha256": _ssha("SSHA256", "sha256"),
    "ssha512": _ssha("SSHA512", "sha512"),
    "sha1": _sha("sha1"),
    "sha256": _sha("sha256"),
    "sha512": _sha("sha512"),
    "md5": _md5(),
    "hmac-sha256": _hmac("sha256"),
}
