"""Draw: one seeded RNG with the primitives the seeder builds on, and the weighted tables it picks from."""

from __future__ import annotations

import base64
import string
import time
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from itertools import accumulate
from random import Random

from faker import Faker

# Locale -> (weight, country name, phone country code). Several scripts, so traits are real Unicode.
LOCALES: dict[str, tuple[int, str, str]] = {
    "en_US": (28, "United States", "1"),
    "de_DE": (10, "Germany", "49"),
    "fr_FR": (8, "France", "33"),
    "es_ES": (7, "Spain", "34"),
    "pt_BR": (8, "Brazil", "55"),
    "it_IT": (5, "Italy", "39"),
    "pl_PL": (4, "Poland", "48"),
    "sv_SE": (3, "Sweden", "46"),
    "tr_TR": (3, "Türkiye", "90"),
    "vi_VN": (3, "Vietnam", "84"),
    "ja_JP": (5, "Japan", "81"),
    "zh_CN": (5, "China", "86"),
    "ru_RU": (4, "Russia", "7"),
    "el_GR": (2, "Greece", "30"),
    "hi_IN": (3, "India", "91"),
    "ko_KR": (2, "South Korea", "82"),
}
# Phone country code -> (national number length, nine mobile prefixes) whose numbers libphonenumber, and so
# Kratos' `tel` format, holds valid (checked by tests/kratos/test_seed_on_kratos.py against a real Kratos).
MOBILE_RANGES: dict[str, tuple[int, tuple[str, ...]]] = {
    "1": (10, ("2015", "2126", "3057", "3128", "4152", "5034", "6175", "6466", "9178")),
    "49": (11, ("151", "152", "157", "160", "170", "171", "175", "176", "177")),
    "33": (9, ("60", "61", "62", "64", "65", "66", "67", "68", "78")),
    "34": (9, ("6", "60", "61", "62", "63", "64", "65", "66", "67")),
    "55": (11, ("119", "219", "319", "419", "519", "619", "719", "819", "919")),
    "39": (10, ("320", "328", "333", "338", "340", "347", "348", "366", "380")),
    "48": (9, ("50", "51", "53", "57", "60", "66", "69", "72", "79")),
    "46": (9, ("70", "72", "73", "76", "79", "701", "702", "703", "704")),
    "90": (10, ("501", "505", "530", "532", "535", "541", "542", "544", "555")),
    "84": (9, ("90", "91", "93", "94", "96", "97", "98", "86", "88")),
    "81": (10, ("901", "902", "903", "905", "906", "907", "908", "909", "801")),
    "86": (11, ("130", "131", "132", "135", "136", "138", "139", "150", "186")),
    "7": (10, ("900", "901", "902", "903", "905", "910", "915", "916", "926")),
    "30": (10, ("690", "693", "694", "695", "697", "698", "699", "6944", "6977")),
    "91": (10, ("98", "99", "97", "96", "95", "94", "93", "91", "90")),
    "82": (10, ("102", "103", "104", "106", "107", "108", "109", "1020", "1030")),
}
POOL = 250  # names, cities and handles per locale
# Faker builds these locales' city lists from a set (faker/providers/address/it_IT `getcities`), so `city()` would
# depend on PYTHONHASHSEED; the seeder draws from the sorted list instead, with the same number of draws.
_CITIES_IN_SET_ORDER = frozenset({"it_IT"})
SCHEMAS = (("default", 78), ("username", 8), ("phone", 6), ("b2b", 8))
MAIL_DOMAINS = (
    ("gmail.com", 40),
    ("outlook.com", 10),
    ("yahoo.com", 8),
    ("icloud.com", 8),
    ("hotmail.com", 6),
    ("proton.me", 4),
    ("gmx.de", 4),
    ("web.de", 3),
    ("orange.fr", 3),
    ("example.org", 2),
)
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 "
    "Edg/125.0.0.0",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/"
    "117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 "
    "Mobile/15E148 Safari/604.1",
    "okhttp/4.12.0",
    "MyApp/3.14.1 (com.example.myapp; build:1402; iOS 17.4.1) Alamofire/5.9.1",
)
PLANS = (("free", 60), ("pro", 25), ("team", 10), ("enterprise", 5))
REFERRALS = ("organic", "google_ads", "newsletter", "friend", "partner", "producthunt", "linkedin")
NOTES = (
    "VIP: route support tickets to tier 2",
    "Requested account deletion, waiting for confirmation",
    "Chargeback in 2023, check invoices",
    "Migrated from the legacy auth system",
    "Beta tester of the new dashboard",
    "Duplicate account merged",
)
DEPARTMENTS = ("Engineering", "Sales", "Finance", "Support", "Marketing", "Operations", "Legal")
B2B_COUNTRIES = ("US", "DE", "FR", "GB", "NL", "SE", "JP", "BR", "IN", "ES")
ROLES = (("member", 60), ("admin", 15), ("viewer", 15), ("billing", 5), ("owner", 5))
BCRYPT64 = "./" + string.ascii_uppercase + string.ascii_lowercase + string.digits
_ALNUM = string.ascii_lowercase + string.digits
SESSION_COUNTS = (25, 55, 75, 87, 95, 100)  # cumulative weights of 0..5 sessions per identity
SESSION_KINDS = (("active", 35), ("expired", 50), ("disabled", 15))
# Clear the version and variant bits of 128 random bits, then set version 4 and the RFC 4122 variant.
_UUID_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_BITS = (0x4000 << 64) | (0x8000 << 48)
FIVE_YEARS = 5 * 365.25 * 86400
DAY = 86400.0


def rfc3339(ts: float) -> str:
    """UTC RFC 3339 with microseconds, as Go marshals a UTC time."""
    micros = round(ts * 1_000_000)
    secs, us = divmod(micros, 1_000_000)
    day, rest = divmod(secs, 86400)
    hour, rest = divmod(rest, 3600)
    minute, sec = divmod(rest, 60)
    return f"{_date(day)}T{hour:02d}:{minute:02d}:{sec:02d}.{us:06d}Z"


@lru_cache(maxsize=4096)
def _date(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


@cache
def _cumulative(table: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [k for k, _ in table], list(accumulate(w for _, w in table))


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits of `text`, accents folded away (for handles and e-mail addresses)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in folded if ch in _ALNUM)


class Pools:
    """Names, cities and handles per locale, drawn once from Faker with a fixed seed."""

    def __init__(self, seed: int) -> None:
        fake = Faker(list(LOCALES))
        fake.seed_instance(seed)
        self.locales = list(LOCALES)
        self.cum_weights = list(accumulate(w for w, _, _ in LOCALES.values()))
        self.first: dict[str, list[str]] = {}
        self.last: dict[str, list[str]] = {}
        self.city: dict[str, list[str]] = {}
        self.handle: dict[str, list[str]] = {}
        for loc in self.locales:
            f = fake[loc]
            self.first[loc] = [f.first_name() for _ in range(POOL)]
            self.last[loc] = [f.last_name() for _ in range(POOL)]
            if loc in _CITIES_IN_SET_ORDER:
                cities = sorted(next(p.cities for p in f.get_providers() if hasattr(p, "cities")))
                self.city[loc] = [f.random_element(cities) for _ in range(POOL // 5)]
            else:
                self.city[loc] = [f.city() for _ in range(POOL // 5)]
            self.handle[loc] = [ascii_fold(f.user_name()) or "user" for _ in range(POOL)]
        en = fake["en_US"]
        self.companies = [en.company() for _ in range(40)]


@lru_cache(maxsize=4)
def pools(seed: int) -> Pools:
    """Pools depend only on the seed; building them costs about a second, so keep a few."""
    return Pools(seed)


class Draw:
    """One seeded RNG and the small draws every part of the seeder makes from it, in a fixed order."""

    def __init__(self, seed: int, now: float) -> None:
        self.rng = Random(seed)
        self.now = now
        self.pools = pools(seed)
        self.used: set[str] = set()

    def uuid(self) -> str:
        """A version-4 UUID drawn from the seeded RNG."""
        h = f"{self.rng.getrandbits(128) & _UUID_MASK | _UUID_BITS:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def chars(self, alphabet: str, n: int) -> str:
        """n characters of `alphabet`."""
        return "".join(self.rng.choices(alphabet, k=n))

    def token(self, n: int) -> str:
        """n URL-safe base64 characters."""
        return base64.urlsafe_b64encode(self.rng.randbytes(n * 3 // 4 + 1)).decode()[:n]

    def base62(self, n: int) -> str:
        """n letters and digits."""
        return self.token(n).replace("-", "x").replace("_", "Q")

    def base32(self, n: int) -> str:
        """n characters of upper-case base32 (a TOTP secret's alphabet)."""
        return base64.b32encode(self.rng.randbytes(n * 5 // 8 + 1)).decode()[:n]

    def b64(self, nbytes: int) -> str:
        """`nbytes` random bytes in unpadded standard base64."""
        return base64.b64encode(self.rng.randbytes(nbytes)).decode().rstrip("=")

    def weighted(self, table: tuple[tuple[str, int], ...]) -> str:
        """A key of `table`, chosen with the table's weights."""
        keys, cum = _cumulative(table)
        return self.rng.choices(keys, cum_weights=cum)[0]

    def locale(self) -> str:
        """A Faker locale, weighted like a global user base."""
        return self.rng.choices(self.pools.locales, cum_weights=self.pools.cum_weights)[0]

    def unique(self, value: str, make_variant: Callable[..., str]) -> str:
        """`value`, or the first variant nobody has used yet; remembers it as used."""
        while value in self.used:
            value = make_variant()
        self.used.add(value)
        return value

    def between(self, start: float, end: float) -> float:
        """A uniform instant between two timestamps."""
        return start + (end - start) * self.rng.random()
