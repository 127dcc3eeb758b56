"""Synthetic police records, generated deterministically at any size.

``generate(engine, rows, seed)`` fills the records database (schema: ``gateway/records.py``) with
``rows`` arrests and proportionate persons, addresses, incidents, warrants, vehicles, gang
listings, jail bookings, water accounts and suburban records (``table_sizes``). The same seed and
size give the same rows on SQLite and on PostgreSQL: every table draws from its own random
stream, seeded by text (never by ``hash``), and every date is written as ISO text. Rows are
produced by generators and written in batches (``executemany`` on SQLite, ``COPY`` on PostgreSQL
through psycopg), so memory stays constant from 10³ to 10⁶ arrests.

Names come from small built-in word lists; all phone numbers are in the fictional 555-01xx range.

>>> from sqlalchemy import create_engine
>>> counts = generate(create_engine("sqlite://"), rows=20, seed=1)
>>> counts["arrests"], counts["persons"], counts["incidents"]
(20, 20, 20)
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, text

from sanctuarygate.errors import InputError
from sanctuarygate.gateway.records import TABLES, create_records_schema

#: progress(table being written, rows written so far in all tables, rows to write in all tables)
Progress = Callable[[str, int, int], None]
Row = tuple[Any, ...]
BATCH = 5000

#: Rows per table for each arrest, as (numerator, denominator), rounded up.
RATIOS: Mapping[str, tuple[int, int]] = {
    "addresses": (1, 2), "persons": (1, 1), "arrests": (1, 1), "incidents": (1, 1),
    "warrants": (1, 5), "vehicles": (1, 2), "gang_listings": (1, 10), "jail_bookings": (1, 2),
    "water_accounts": (1, 4), "suburban_records": (3, 40),
}


def table_sizes(rows: int) -> dict[str, int]:
    """Rows each table gets for ``rows`` arrests, in insertion order.

    >>> table_sizes(1000)["warrants"], sum(table_sizes(1000).values())
    (200, 5125)
    """
    if rows < 0:
        raise InputError(f"rows must be 0 or more, got {rows}", field="rows")
    return {t.name: -(-rows * RATIOS[t.name][0] // RATIOS[t.name][1]) for t in TABLES}


# --- word lists ----------------------------------------------------------------------------------

def _w(words: str) -> tuple[str, ...]:
    return tuple(w.replace("_", " ") for w in words.split())


NAMES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {  # men, women, last
    "us": (_w("James Michael Darnell Anthony Kevin Brian Marcus Tyrone Joseph Christopher DeShawn "
              "Robert Terrell Patrick"),
           _w("Mary Jasmine Ashley Keisha Jennifer Latoya Jessica Tiffany Patricia Brianna Megan"),
           _w("Johnson Williams Brown Jones Davis Jackson Washington Smith Thomas Harris Robinson "
              "Walker Murphy O'Brien Sullivan Miller Coleman Bell")),
    "latin": (_w("Jose Luis Juan Carlos Miguel Jesus Alejandro Francisco Jorge Eduardo Angel"),
              _w("Maria Guadalupe Ana Rosa Veronica Claudia Yesenia Carmen Leticia Elena"),
              _w("Garcia Hernandez Martinez Lopez Rodriguez Gonzalez Perez Ramirez Flores Torres "
                 "Castillo Morales Reyes Ortiz Mendoza")),
    "polish": (_w("Piotr Tomasz Krzysztof Marek Pawel Andrzej"),
               _w("Anna Katarzyna Magdalena Agnieszka Ewa Joanna"),
               _w("Nowak Kowalski Wisniewski Wojcik Kaminski Lewandowski Zielinski Szymanski")),
    "ukrainian": (_w("Oleksandr Dmytro Andriy Serhiy"), _w("Olena Iryna Natalia Oksana"),
                  _w("Shevchenko Bondarenko Kovalenko Tkachenko Melnyk")),
    "filipino": (_w("Jose Mark Ramon Rodel"), _w("Maricel Jocelyn Rowena Cristina"),
                 _w("Santos Reyes Cruz Bautista Dela_Cruz Mendoza Villanueva")),
    "south-asian": (_w("Mohammed Rahul Arjun Imran Vikram"), _w("Priya Fatima Ayesha Sunita"),
                    _w("Patel Shah Khan Singh Reddy Ahmed Hussain")),
    "west-african": (_w("Chinedu Emeka Oluwaseun Ibrahim Kwame"), _w("Ngozi Adaeze Funmilayo Aminata"),
                     _w("Okafor Adeyemi Okonkwo Balogun Mensah Diallo")),
    "chinese": (_w("Wei Jun Hao Ming"), _w("Li Mei Xiu Yan"), _w("Chen Wang Li Zhang Liu Huang Wu")),
    "haitian": (_w("Jean Pierre Jacques Wilner"), _w("Marie Nadege Rose Fabienne"),
                _w("Joseph Pierre Jean-Baptiste Louis Charles Desir")),
}

#: (birthplace, citizenship at birth, name group, weight); "United States" births first.
ORIGINS: tuple[tuple[str, str, str, int], ...] = (
    ("Chicago, IL", "United States", "us", 40), ("Cicero, IL", "United States", "latin", 2),
    ("Gary, IN", "United States", "us", 3), ("Jackson, MS", "United States", "us", 3),
    ("Memphis, TN", "United States", "us", 2), ("Detroit, MI", "United States", "us", 2),
    ("Milwaukee, WI", "United States", "us", 2), ("San Juan, PR", "United States", "latin", 3),
    ("Los Angeles, CA", "United States", "latin", 2),
    ("Guadalajara, Jalisco, Mexico", "Mexico", "latin", 5),
    ("Mexico City, Mexico", "Mexico", "latin", 3), ("Morelia, Michoacan, Mexico", "Mexico", "latin", 3),
    ("Guatemala City, Guatemala", "Guatemala", "latin", 2),
    ("San Pedro Sula, Honduras", "Honduras", "latin", 1),
    ("San Salvador, El Salvador", "El Salvador", "latin", 1),
    ("Caracas, Venezuela", "Venezuela", "latin", 2), ("Warsaw, Poland", "Poland", "polish", 2),
    ("Krakow, Poland", "Poland", "polish", 1), ("Kyiv, Ukraine", "Ukraine", "ukrainian", 1),
    ("Manila, Philippines", "Philippines", "filipino", 1), ("Hyderabad, India", "India", "south-asian", 1),
    ("Lahore, Pakistan", "Pakistan", "south-asian", 1), ("Lagos, Nigeria", "Nigeria", "west-african", 1),
    ("Accra, Ghana", "Ghana", "west-african", 1), ("Guangzhou, China", "China", "chinese", 1),
    ("Port-au-Prince, Haiti", "Haiti", "haitian", 1),
)
STATUS_NOTES = (
    "Subject states no immigration documents", "Subject states visa overstay",
    "LPR card observed at booking", "Subject states DACA recipient",
    "Subject states asylum application pending", "Subject states TPS holder",
    "ICE detainer inquiry received; not honored",
)
#: (charge, statute, weight)
CHARGES: tuple[tuple[str, str, int], ...] = (
    ("RETAIL THEFT", "720 ILCS 5/16-25", 8), ("BATTERY - DOMESTIC", "720 ILCS 5/12-3.2", 8),
    ("POSS CONTROLLED SUBSTANCE", "720 ILCS 570/402", 7),
    ("DRIVING ON SUSPENDED LICENSE", "625 ILCS 5/6-303", 6),
    ("NO VALID DRIVER'S LICENSE", "625 ILCS 5/6-101", 4), ("DUI", "625 ILCS 5/11-501", 4),
    ("CRIMINAL TRESPASS TO LAND", "720 ILCS 5/21-3", 4), ("THEFT", "720 ILCS 5/16-1", 4),
    ("AGG BATTERY", "720 ILCS 5/12-3.05", 3), ("RESISTING/OBSTRUCTING", "720 ILCS 5/31-1", 3),
    ("CRIMINAL DAMAGE TO PROPERTY", "720 ILCS 5/21-1", 3), ("AGG UUW", "720 ILCS 5/24-1.6", 3),
    ("BURGLARY", "720 ILCS 5/19-1", 2), ("ROBBERY", "720 ILCS 5/18-1", 2),
    ("UNLAWFUL USE OF WEAPON", "720 ILCS 5/24-1", 2), ("VEHICULAR HIJACKING", "720 ILCS 5/18-3", 1),
)
INCIDENTS: Mapping[str, tuple[str, ...]] = {  # primary type: narrative templates
    "THEFT": ("Victim states an unknown offender took a {item} from {place} without permission.",
              "Victim reports a {item} missing from {place}; no witnesses."),
    "BATTERY": ("Victim states the offender struck them during a verbal altercation at {place}.",
                "R/O observed the victim with minor injuries after a dispute at {place}."),
    "CRIMINAL DAMAGE": ("Victim reports the window of a {item} broken at {place}.",),
    "ASSAULT": ("Victim states the offender threatened them with a {item} at {place}.",),
    "DECEPTIVE PRACTICE": ("Victim reports unauthorized charges after losing a {item} at {place}.",),
    "MOTOR VEHICLE THEFT": ("Victim states their vehicle was taken from {place} overnight.",),
    "BURGLARY": ("Victim reports forced entry and a {item} missing from {place}.",),
    "ROBBERY": ("Victim states the offender demanded a {item} on the sidewalk near {place}.",),
    "WEAPONS VIOLATION": ("R/O recovered a {item} during a street stop near {place}.",),
}
ITEMS = _w("phone wallet bicycle laptop purse package tool_set handgun knife car")
PLACES = _w("the_residence a_parked_car the_front_porch a_corner_store the_bus_stop a_gas_station "
            "the_alley the_laundromat a_CTA_platform the_back_yard")
STREETS_NS = _w("ASHLAND_AVE WESTERN_AVE PULASKI_RD CICERO_AVE HALSTED_ST KEDZIE_AVE DAMEN_AVE "
                "CALIFORNIA_AVE RACINE_AVE KOSTNER_AVE CENTRAL_PARK_AVE STATE_ST COTTAGE_GROVE_AVE")
STREETS_EW = _w("MADISON_ST CHICAGO_AVE DIVISION_ST NORTH_AVE FULLERTON_AVE BELMONT_AVE IRVING_PARK_RD "
                "LAWRENCE_AVE CERMAK_RD 26TH_ST 47TH_ST 63RD_ST 79TH_ST 87TH_ST ROOSEVELT_RD DEVON_AVE "
                "ARMITAGE_AVE")
HOUSE_NUMBERS = {"N": 7500, "S": 13400, "E": 3900, "W": 7100}  # how far the grid runs from State/Madison
UNITS = _w("APT_1 APT_2 APT_3 APT_1R APT_2F APT_3R UNIT_404 BSMT")
ZIPS = _w("60608 60609 60612 60617 60618 60619 60620 60623 60624 60625 60628 60629 60632 60634 60636 "
          "60637 60639 60640 60641 60644 60647 60651 60652")
DISTRICTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 22, 24, 25)
COURTS = ("Circuit Court of Cook County, Criminal Division",
          "Circuit Court of Cook County, 1st Municipal District",
          "Circuit Court of Cook County, 2nd Municipal District (Skokie)",
          "Circuit Court of Cook County, 5th Municipal District (Bridgeview)",
          "Circuit Court of Lake County", "U.S. District Court, N.D. Ill.")
VEHICLES = (("TOYOTA", "CAMRY"), ("HONDA", "CIVIC"), ("CHEVROLET", "MALIBU"), ("FORD", "F-150"),
            ("NISSAN", "ALTIMA"), ("DODGE", "CHARGER"), ("JEEP", "GRAND CHEROKEE"),
            ("HYUNDAI", "ELANTRA"), ("KIA", "OPTIMA"), ("CHEVROLET", "IMPALA"), ("FORD", "ESCAPE"))
COLORS = _w("BLACK WHITE SILVER GRAY RED BLUE GREEN MAROON")
PLATE_STATES = ("IL",) * 88 + ("IN",) * 5 + ("WI",) * 4 + ("MI",) * 2 + ("TX",)
GANGS = _w("Gangster_Disciples Black_P_Stones Latin_Kings Vice_Lords Black_Disciples Two-Six "
           "Satan_Disciples Spanish_Cobras Maniac_Latin_Disciples Four_Corner_Hustlers")
BASES = ("self-admission", "tattoo", "clothing or colors", "associating with listed members",
         "arrested with listed members", "named by an informant", "presence in a gang area")
DIVISIONS = _w("Division_2 Division_3 Division_4 Division_5 Division_6 Division_9 Division_10 "
               "Division_11 Cermak_Health")
SUBURBS = {"WAUKEGAN-PD": ("WAUKEGAN", "60085", _w("GRAND_AVE BELVIDERE_RD WASHINGTON_ST LEWIS_AVE "
                                                    "SHERIDAN_RD GENESEE_ST GLEN_FLORA_AVE")),
           "NORTH-CHICAGO-PD": ("NORTH CHICAGO", "60064", _w("SHERIDAN_RD 10TH_ST 14TH_ST ARGONNE_DR "
                                                             "LEWIS_AVE BUCKLEY_RD"))}
RD_PREFIX = {2015: "HY", 2016: "HZ", 2017: "JA", 2018: "JB", 2019: "JC", 2020: "JD", 2021: "JE",
             2022: "JF", 2023: "JG", 2024: "JH", 2025: "JJ"}

# --- dates: ISO text, identical on every backend ------------------------------------------------

EPOCH = dt.date(1940, 1, 1).toordinal()
DAYS = tuple(dt.date.fromordinal(o).isoformat() for o in range(EPOCH, dt.date(2027, 1, 1).toordinal()))
RECORDS_END = dt.date(2025, 10, 31)


def _day(d: dt.date) -> int:
    return d.toordinal() - EPOCH


def _spread(i: int, n: int, start: dt.date, end: dt.date) -> int:
    """Day index of row ``i`` of ``n``: ids are issued in date order, start to end."""
    return _day(start) + (i - 1) * (_day(end) - _day(start)) // max(n, 1)


def _pick(rng: random.Random, seq: Sequence[Any]) -> Any:
    return seq[int(rng.random() * len(seq))]


def _weighted(items: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(item for item in items for _ in range(item[-1]))


ORIGIN_POOL = _weighted(ORIGINS)
CHARGE_POOL = _weighted(CHARGES)
HERITAGE = ("latin",) * 6 + ("polish", "ukrainian", "filipino", "south-asian", "west-african",
                             "chinese", "haitian")


def _phone(rng: random.Random) -> str:
    return f"{_pick(rng, ('312', '773', '872'))}-555-01{int(rng.random() * 100):02d}"


def _name(rng: random.Random, group: str, sex: str) -> tuple[str, str]:
    men, women, last = NAMES[group]
    return _pick(rng, men if sex == "M" else women), _pick(rng, last)


def _address_of(person_id: int, n_addresses: int) -> int:
    """A person's home address: a fixed function of the id, so other tables can find it."""
    return 1 + (person_id * 2_654_435_761) % n_addresses


def _arrest_day(arrest_id: int, n_arrests: int) -> int:
    return _spread(arrest_id, n_arrests, dt.date(2015, 1, 1), RECORDS_END)


# --- one generator per table, yielding rows in the table's column order -------------------------

def _addresses(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    for i in range(1, size["addresses"] + 1):
        ns = rng.random() < 0.5
        street = _pick(rng, STREETS_NS if ns else STREETS_EW)
        direction = _pick(rng, "NS" if ns else "EW")
        unit = _pick(rng, UNITS) if rng.random() < 0.35 else None
        yield (i, 100 + int(rng.random() * HOUSE_NUMBERS[direction]), direction, street, unit,
               "CHICAGO", "IL", _pick(rng, ZIPS), _pick(rng, DISTRICTS))


def _persons(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    low, high = _day(dt.date(1950, 1, 1)), _day(dt.date(2007, 12, 31))
    for i in range(1, size["persons"] + 1):
        birthplace, country, group, _ = _pick(rng, ORIGIN_POOL)
        sex = "M" if rng.random() < 0.62 else "F"
        us_born = country == "United States"
        if us_born and group == "us" and rng.random() < 0.25:
            group = _pick(rng, HERITAGE)
        first, last = _name(rng, group, sex)
        note = None
        if us_born:
            citizenship = country
        elif rng.random() < 0.45:
            citizenship = "United States"
            note = "Subject states naturalized citizen" if rng.random() < 0.05 else None
        else:
            citizenship = country
            note = _pick(rng, STATUS_NOTES) if rng.random() < 0.35 else None
        home = None if rng.random() < 0.03 else _address_of(i, size["addresses"])
        phone = _phone(rng) if rng.random() < 0.85 else None
        yield (i, first, last, sex, DAYS[low + int(rng.random() * (high - low))], birthplace,
               citizenship, note, home, phone)


def _arrests(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    n = size["arrests"]
    for i in range(1, n + 1):
        charge, statute, _ = _pick(rng, CHARGE_POOL)
        person = 1 + int(size["persons"] * rng.random() ** 1.5)  # some people are arrested often
        yield (i, f"{(i * 48_271 + 17_000_000) % 100_000_000:08d}", person,
               DAYS[_arrest_day(i, n)], charge, statute, _pick(rng, DISTRICTS))


def _incidents(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    n, people = size["incidents"], size["persons"]
    kinds = tuple(INCIDENTS)
    for i in range(1, n + 1):
        day = _spread(i, n, dt.date(2015, 1, 1), RECORDS_END)
        kind = _pick(rng, kinds)
        story = _pick(rng, INCIDENTS[kind]).format(item=_pick(rng, ITEMS), place=_pick(rng, PLACES))
        victim = 1 + int(rng.random() * people) if rng.random() < 0.75 else None
        subject = 1 + int(rng.random() * people) if rng.random() < 0.35 else None
        phone = _phone(rng) if rng.random() < 0.6 else None
        yield (i, f"{RD_PREFIX[int(DAYS[day][:4])]}{i:06d}", DAYS[day], kind, story,
               1 + int(rng.random() * size["addresses"]), victim, subject, phone)


def _warrants(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    n = size["warrants"]
    for i in range(1, n + 1):
        status = "active" if rng.random() < 0.6 else _pick(rng, ("served", "served", "recalled"))
        yield (i, 1 + int(rng.random() * size["persons"]), _pick(rng, CHARGE_POOL)[0],
               _pick(rng, COURTS), DAYS[_spread(i, n, dt.date(2010, 1, 1), RECORDS_END)], status)


def _vehicles(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    space = 26 * 26 * 100_000  # two letters, five digits; the multiplier is prime to it: unique
    for i in range(1, size["vehicles"] + 1):
        x = (i * 7_368_787 + 1_234_567) % space
        letters = chr(65 + x // 2_600_000) + chr(65 + x // 100_000 % 26)
        make, model = _pick(rng, VEHICLES)
        yield (i, f"{letters}{x % 100_000:05d}", _pick(rng, PLATE_STATES), make, model,
               1998 + int(rng.random() * 28), _pick(rng, COLORS),
               1 + int(rng.random() * size["persons"]))


def _gang_listings(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    n = size["gang_listings"]
    for i in range(1, n + 1):
        yield (i, 1 + int(size["persons"] * rng.random() ** 1.5), _pick(rng, GANGS), _pick(rng, BASES),
               DAYS[_spread(i, n, dt.date(2002, 1, 1), dt.date(2019, 12, 31))], _pick(rng, DISTRICTS))


def _jail_bookings(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    n_arrests, last = size["arrests"], _day(RECORDS_END)
    for i in range(1, size["jail_bookings"] + 1):
        arrest = min(2 * i - 1 + int(rng.random() * 2), n_arrests)  # one of arrests 2i-1, 2i
        booked = _arrest_day(arrest, n_arrests) + int(rng.random() * 2)
        released = booked + 1 + int(400 * rng.random() ** 3)
        yield (i, arrest, DAYS[booked], _pick(rng, DIVISIONS),
               DAYS[released] if released <= last and rng.random() < 0.9 else None)


def _water_accounts(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    low, high = _day(dt.date(1990, 1, 1)), _day(RECORDS_END)
    for i in range(1, size["water_accounts"] + 1):
        holder = 1 + int(rng.random() * size["persons"])
        phone = _phone(rng) if rng.random() < 0.5 else None
        balance = 0 if rng.random() < 0.6 else int(250_000 * rng.random() ** 2)
        yield (i, holder, _address_of(holder, size["addresses"]), phone,
               DAYS[low + int(rng.random() * (high - low))], balance)


def _suburban_records(rng: random.Random, size: Mapping[str, int]) -> Iterator[Row]:
    n = size["suburban_records"]
    for i in range(1, n + 1):
        agency = "NORTH-CHICAGO-PD" if i % 3 == 0 else "WAUKEGAN-PD"
        city, zip_code, streets = SUBURBS[agency]
        birthplace, _, group, _ = _pick(rng, ORIGIN_POOL)
        first, last = _name(rng, group, "M" if rng.random() < 0.62 else "F")
        address = f"{100 + int(rng.random() * 3900)} {_pick(rng, streets)}, {city}, IL {zip_code}"
        known = agency == "WAUKEGAN-PD" and rng.random() < 0.7
        yield (i, agency, f"{first} {last}", address, birthplace if known else None,
               _pick(rng, CHARGE_POOL)[0], DAYS[_spread(i, n, dt.date(2015, 1, 1), RECORDS_END)])


ROWS: Mapping[str, Callable[[random.Random, Mapping[str, int]], Iterator[Row]]] = {
    "addresses": _addresses, "persons": _persons, "arrests": _arrests, "incidents": _incidents,
    "warrants": _warrants, "vehicles": _vehicles, "gang_listings": _gang_listings,
    "jail_bookings": _jail_bookings, "water_accounts": _water_accounts,
    "suburban_records": _suburban_records,
}


# --- writing -------------------------------------------------------------------------------------

def _uses_copy(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _clear(conn: Connection) -> None:
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"TRUNCATE {', '.join(quote(t.name) for t in TABLES)}"))
        return
    for t in reversed(TABLES):
        conn.execute(t.delete())


def _write(conn: Connection, table: Table, rows: Iterator[Row], step: Callable[[int], None]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in table.columns)
    if _uses_copy(conn):
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            done = 0
            for row in rows:
                copy.write_row(row)
                done += 1
                if done == BATCH:
                    step(done)
                    done = 0
            step(done)
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([marker] * len(table.columns))})"
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            conn.exec_driver_sql(sql, batch)
            step(len(batch))
            batch = []
    if batch:
        conn.exec_driver_sql(sql, batch)
        step(len(batch))


def generate(engine: Engine, rows: int, seed: int = 0, progress: Progress | None = None
             ) -> dict[str, int]:
    """Create the schema, empty it, and fill it with ``rows`` arrests' worth of records.

    Returns the rows written per table. ``progress`` is called after every batch.

    >>> from sqlalchemy import create_engine
    >>> seen = []
    >>> counts = generate(create_engine("sqlite://"), rows=4, progress=lambda t, d, n: seen.append(d))
    >>> sum(counts.values()) == seen[-1]
    True
    """
    size = table_sizes(rows)
    total, written = sum(size.values()), 0
    create_records_schema(engine)
    with engine.begin() as conn:
        _clear(conn)
    for table in TABLES:
        def step(n: int, name: str = table.name) -> None:
            nonlocal written
            written += n
            if progress is not None:
                progress(name, written, total)

        stream = ROWS[table.name](random.Random(f"sanctuarygate-records/{seed}/{table.name}"), size)
        with engine.begin() as conn:
            _write(conn, table, stream, step)
    if engine.dialect.name == "postgresql":  # fresh statistics, so the views' joins plan well
        quote = engine.dialect.identifier_preparer.quote
        with engine.begin() as conn:
            conn.execute(text(f"ANALYZE {', '.join(quote(t.name) for t in TABLES)}"))
    return size
