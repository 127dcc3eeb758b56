"""The city's records database: the police records the gateway protects.

This is the city's database, not sanctuarygate's store, so its tables live in their own
``MetaData`` (``records_metadata``) and no Alembic migration touches them. The gateway only ever
reads it, through one SQL view per catalog dataset (``Dataset.table``): the view's columns are
exactly the dataset's fields, in catalog order, and the first is a unique, stable key::

    table (─< : referred to by)                    views that read it
    addresses ─< persons, incidents (location), water_accounts (service address)
    persons   ─< arrests, warrants, vehicles,       cpd_arrests, cpd_warrants, cpd_vehicles,
                 gang_listings, water_accounts,     cpd_gang_database, water_billing
                 incidents (victim, subject)        cpd_incidents
    arrests   ─< jail_bookings                      cook_jail_bookings (person via the arrest)
    suburban_records (the suburbs' own flat files)  waukegan_pd_records, north_chicago_pd_records

>>> from sqlalchemy import create_engine
>>> engine = create_engine("sqlite://")
>>> create_records_schema(engine)
>>> sorted(VIEWS)[:2]
['cook_jail_bookings', 'cpd_arrests']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Engine,
    ForeignKey,
    FromClause,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    TableClause,
    Text,
    cast,
    column,
    func,
    inspect,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.types import TypeEngine

from sanctuarygate.domain.dataset import Catalog, Dataset
from sanctuarygate.errors import ConfigurationError

#: A view's query (any number of columns).
Query: TypeAlias = "Select[*tuple[Any, ...]]"

records_metadata = MetaData()

addresses = Table(
    "addresses", records_metadata,
    Column("address_id", Integer, primary_key=True, autoincrement=False),
    Column("house_number", Integer, nullable=False),
    Column("street_direction", String(1), nullable=False),
    Column("street_name", String(40), nullable=False),
    Column("unit", String(10)),
    Column("city", String(40), nullable=False),
    Column("state", String(2), nullable=False),
    Column("zip", String(5), nullable=False),
    Column("district", Integer, nullable=False),  # CPD police district
)

persons = Table(
    "persons", records_metadata,
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    Column("first_name", String(40), nullable=False),
    Column("last_name", String(40), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("birthplace", String(80), nullable=False),
    Column("citizenship", String(40), nullable=False),
    Column("immigration_status_note", Text),
    Column("address_id", ForeignKey("addresses.address_id")),
    Column("phone", String(20)),
)

arrests = Table(
    "arrests", records_metadata,
    Column("arrest_id", Integer, primary_key=True, autoincrement=False),
    Column("cb_number", String(8), nullable=False, unique=True),  # central booking number
    Column("person_id", ForeignKey("persons.person_id"), nullable=False),
    Column("arrest_date", Date, nullable=False),
    Column("charge", String(60), nullable=False),
    Column("statute", String(40), nullable=False),
    Column("district", Integer, nullable=False),
)

incidents = Table(
    "incidents", records_metadata,
    Column("incident_id", Integer, primary_key=True, autoincrement=False),
    Column("rd_number", String(10), nullable=False, unique=True),  # records division number
    Column("occurred_on", Date, nullable=False),
    Column("primary_type", String(40), nullable=False),
    Column("narrative", Text, nullable=False),
    Column("address_id", ForeignKey("addresses.address_id"), nullable=False),
    Column("victim_id", ForeignKey("persons.person_id")),
    Column("subject_id", ForeignKey("persons.person_id")),
    Column("reporter_phone", String(20)),
)

warrants = Table(
    "warrants", records_metadata,
    Column("warrant_id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", ForeignKey("persons.person_id"), nullable=False),
    Column("offense", String(60), nullable=False),
    Column("issuing_court", String(80), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("status", String(10), nullable=False),
)

vehicles = Table(
    "vehicles", records_metadata,
    Column("vehicle_id", Integer, primary_key=True, autoincrement=False),
    Column("plate", String(8), nullable=False, unique=True),
    Column("plate_state", String(2), nullable=False),
    Column("make", String(20), nullable=False),
    Column("model", String(20), nullable=False),
    Column("model_year", Integer, nullable=False),
    Column("color", String(10), nullable=False),
    Column("owner_id", ForeignKey("persons.person_id"), nullable=False),
)

gang_listings = Table(
    "gang_listings", records_metadata,
    Column("listing_id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", ForeignKey("persons.person_id"), nullable=False),
    Column("gang", String(40), nullable=False),
    Column("basis", String(60), nullable=False),
    Column("listed_on", Date, nullable=False),
    Column("district", Integer, nullable=False),
)

jail_bookings = Table(
    "jail_bookings", records_metadata,
    Column("booking_id", Integer, primary_key=True, autoincrement=False),
    Column("arrest_id", ForeignKey("arrests.arrest_id"), nullable=False, unique=True),
    Column("booked_on", Date, nullable=False),
    Column("division", String(20), nullable=False),
    Column("release_date", Date),
)

water_accounts = Table(
    "water_accounts", records_metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=False),
    Column("holder_id", ForeignKey("persons.person_id"), nullable=False),
    Column("address_id", ForeignKey("addresses.address_id"), nullable=False),
    Column("phone", String(20)),
    Column("opened_on", Date, nullable=False),
    Column("balance_cents", Integer, nullable=False),
)

suburban_records = Table(  # the suburban departments' own systems: flat, not normalised
    "suburban_records", records_metadata,
    Column("record_id", Integer, primary_key=True, autoincrement=False),
    Column("agency", String(20), nullable=False, index=True),
    Column("name", String(80), nullable=False),
    Column("address", String(120), nullable=False),
    Column("birthplace", String(80)),
    Column("offense", String(60), nullable=False),
    Column("record_date", Date, nullable=False),
)

#: The tables in insertion order (every table after those it refers to).
TABLES: tuple[Table, ...] = tuple(records_metadata.sorted_tables)


def _full_name(p: FromClause) -> ColumnElement[str]:
    return p.c.first_name + literal(" ") + p.c.last_name


def _street(a: FromClause) -> ColumnElement[str]:
    return (cast(a.c.house_number, String) + literal(" ") + a.c.street_direction + literal(" ")
            + a.c.street_name)


def _full_address(a: FromClause) -> ColumnElement[str]:
    unit = func.coalesce(literal(" ") + a.c.unit, literal(""))
    return (_street(a) + unit + literal(", ") + a.c.city + literal(", ") + a.c.state + literal(" ")
            + a.c.zip)


def _cpd_arrests() -> Query:
    p, a = persons, addresses
    return (select(arrests.c.arrest_id.label("arrest_id"), arrests.c.cb_number.label("cb_number"),
                   _full_name(p).label("name"), p.c.birth_date.label("birth_date"),
                   p.c.sex.label("sex"), p.c.birthplace.label("birthplace"),
                   p.c.citizenship.label("citizenship"),
                   p.c.immigration_status_note.label("immigration_status_note"),
                   _full_address(a).label("home_address"), p.c.phone.label("phone"),
                   arrests.c.charge.label("charge"), arrests.c.statute.label("statute"),
                   arrests.c.arrest_date.label("arrest_date"), arrests.c.district.label("district"))
            .select_from(arrests.join(p).outerjoin(a, p.c.address_id == a.c.address_id)))


def _cpd_incidents() -> Query:
    loc = addresses.alias("loc")
    victim, subject = persons.alias("victim"), persons.alias("subject")
    home = addresses.alias("victim_home")
    return (select(incidents.c.incident_id.label("incident_id"),
                   incidents.c.rd_number.label("rd_number"),
                   incidents.c.occurred_on.label("occurred_on"),
                   incidents.c.primary_type.label("primary_type"),
                   incidents.c.narrative.label("narrative"),
                   _street(loc).label("location"), loc.c.district.label("district"),
                   _full_name(victim).label("victim_name"),
                   _full_address(home).label("victim_address"),
                   incidents.c.reporter_phone.label("reporter_phone"),
                   _full_name(subject).label("subject_name"),
                   subject.c.birthplace.label("subject_birthplace"))
            .select_from(incidents.join(loc, incidents.c.address_id == loc.c.address_id)
                         .outerjoin(victim, incidents.c.victim_id == victim.c.person_id)
                         .outerjoin(home, victim.c.address_id == home.c.address_id)
                         .outerjoin(subject, incidents.c.subject_id == subject.c.person_id)))


def _cpd_warrants() -> Query:
    p, a = persons, addresses
    return (select(warrants.c.warrant_id.label("warrant_id"), _full_name(p).label("subject_name"),
                   p.c.birth_date.label("subject_birth_date"), warrants.c.offense.label("offense"),
                   warrants.c.issuing_court.label("issuing_court"),
                   warrants.c.issued_on.label("issued_on"), warrants.c.status.label("status"),
                   _full_address(a).label("last_known_address"))
            .select_from(warrants.join(p).outerjoin(a, p.c.address_id == a.c.address_id)))


def _cpd_gang_database() -> Query:
    g, p, a = gang_listings, persons, addresses
    return (select(g.c.listing_id.label("listing_id"), _full_name(p).label("subject_name"),
                   p.c.birth_date.label("birth_date"), g.c.gang.label("gang"),
                   g.c.basis.label("basis"), g.c.listed_on.label("listed_on"),
                   g.c.district.label("district"), _full_address(a).label("home_address"))
            .select_from(g.join(p).outerjoin(a, p.c.address_id == a.c.address_id)))


def _cpd_vehicles() -> Query:
    v, p, a = vehicles, persons, addresses
    return (select(v.c.plate.label("plate"), v.c.plate_state.label("plate_state"),
                   v.c.make.label("make"), v.c.model.label("model"),
                   v.c.model_year.label("model_year"), v.c.color.label("color"),
                   _full_name(p).label("owner_name"), _full_address(a).label("owner_address"))
            .select_from(v.join(p).outerjoin(a, p.c.address_id == a.c.address_id)))


def _suburban(agency: str, *, birthplace: bool) -> Callable[[], Query]:
    def view() -> Query:
        s = suburban_records
        cols: list[ColumnElement[object]] = [s.c.record_id.label("record_id"),
                                             s.c.name.label("name"), s.c.address.label("address")]
        if birthplace:
            cols.append(s.c.birthplace.label("birthplace"))
        cols += [s.c.offense.label("offense"), s.c.record_date.label("record_date")]
        return select(*cols).where(s.c.agency == literal(agency))
    return view


def _cook_jail_bookings() -> Query:
    b, p = jail_bookings, persons
    return (select(b.c.booking_id.label("booking_id"), _full_name(p).label("name"),
                   p.c.birth_date.label("birth_date"), b.c.booked_on.label("booked_on"),
                   b.c.division.label("division"), b.c.release_date.label("release_date"),
                   p.c.citizenship.label("citizenship"))
            .select_from(b.join(arrests).join(p, arrests.c.person_id == p.c.person_id)))


def _water_billing() -> Query:
    w, p, a = water_accounts, persons, addresses
    return (select(w.c.account_id.label("account_id"), _full_name(p).label("account_holder"),
                   _full_address(a).label("service_address"), w.c.phone.label("phone"),
                   w.c.opened_on.label("opened_on"), w.c.balance_cents.label("balance_cents"))
            .select_from(w.join(p, w.c.holder_id == p.c.person_id)
                         .join(a, w.c.address_id == a.c.address_id)))


#: One query per view, by view name (the catalog's ``table``); columns in catalog order.
VIEWS: Mapping[str, Callable[[], Query]] = {
    "cpd_arrests": _cpd_arrests,
    "cpd_incidents": _cpd_incidents,
    "cpd_warrants": _cpd_warrants,
    "cpd_gang_database": _cpd_gang_database,
    "cpd_vehicles": _cpd_vehicles,
    "waukegan_pd_records": _suburban("WAUKEGAN-PD", birthplace=True),
    "north_chicago_pd_records": _suburban("NORTH-CHICAGO-PD", birthplace=False),
    "cook_jail_bookings": _cook_jail_bookings,
    "water_billing": _water_billing,
}

#: The SQL type of each catalog field type.
SQL_TYPES: Mapping[str, type[TypeEngine[Any]]] = {"integer": Integer, "text": Text, "date": Date}


def view_sql(name: str, engine: Engine) -> str:
    """The ``SELECT`` behind one view, rendered for the engine's dialect.

    >>> from sqlalchemy import create_engine
    >>> view_sql("north_chicago_pd_records", create_engine("sqlite://")).split()[:3]
    ['SELECT', 'suburban_records.record_id', 'AS']
    """
    stmt = VIEWS[name]()
    return str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def create_records_schema(engine: Engine) -> None:
    """Create the tables (if missing) and (re)create every view; safe to run again.

    >>> from sqlalchemy import create_engine, inspect
    >>> engine = create_engine("sqlite://")
    >>> create_records_schema(engine); create_records_schema(engine)
    >>> "cpd_arrests" in inspect(engine).get_view_names()
    True
    """
    records_metadata.create_all(engine)
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        for name in VIEWS:
            conn.execute(text(f"DROP VIEW IF EXISTS {quote(name)}"))
            conn.execute(text(f"CREATE VIEW {quote(name)} AS {view_sql(name, engine)}"))


def view_of(dataset: Dataset) -> TableClause:
    """A dataset's view as a typed SQLAlchemy table, for ``select(view.c.name, ...)``.

    >>> ds = Catalog.from_mapping({"datasets": [{"id": "cpd-vehicles", "keeper": "CPD",
    ...     "fields": {"plate": ["vehicle"], "model_year": {"type": "integer"}}}]}).get("cpd-vehicles")
    >>> v = view_of(ds)
    >>> v.name, [c.name for c in v.c], type(v.c.model_year.type).__name__
    ('cpd_vehicles', ['plate', 'model_year'], 'Integer')
    """
    return table(dataset.table, *[column(name, SQL_TYPES[dataset.field_type(name)]())
                                  for name, _ in dataset.fields])


def view_counts(engine: Engine, catalog: Catalog) -> dict[str, int]:
    """Rows in each dataset's view, by dataset id; ConfigurationError if a view is missing.

    >>> from sqlalchemy import create_engine
    >>> engine = create_engine("sqlite://")
    >>> create_records_schema(engine)
    >>> ds = {"id": "water-billing", "keeper": "CHICAGO-WATER", "fields": {"account_id": []}}
    >>> view_counts(engine, Catalog.from_mapping({"datasets": [ds]}))
    {'water-billing': 0}
    """
    present = set(inspect(engine).get_view_names())
    missing = sorted(d.table for d in catalog if d.table not in present)
    if missing:
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigurationError(
            f"the records database {where} has no view(s) "
            f"{', '.join(missing)} (run `sanctuarygate records generate`)")
    with engine.connect() as conn:
        return {d.id: int(conn.execute(select(func.count()).select_from(table(d.table))).scalar_one())
                for d in catalog}
