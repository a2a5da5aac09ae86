"""The catalogue as DCAT (DCAT-AP 3 profile) in JSON-LD (``/catalog.jsonld``) and Turtle
(``/catalog.ttl``): one ``dcat:Catalog`` published by the province's IOC, one ``dcat:Dataset``
per public dataset (title, description, identifier, publisher, contact point, keywords,
frequency from the EU vocabulary, spatial and temporal coverage, landing page) and one
``dcat:Distribution`` per download format (access/download URL, EU file type, IANA media
type, licence)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS, XSD
from sqlalchemy import select
from sqlalchemy.orm import Session

from ioc.core.models import Agency
from ioc.core.registry import Registry
from ioc.packs.open_data import catalogue, downloads, licences
from ioc.packs.open_data.ckan import base_url, public_entries
from ioc.web.deps import AppRegistry, DbSession, Public

router = APIRouter(tags=["open-data"])

DCAT = Namespace("http://www.w3.org/ns/dcat#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_FILE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANG = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA = "https://www.iana.org/assignments/media-types/"
FREQUENCIES = {
    "PT1M": "UPDATE_CONT",
    "PT5M": "UPDATE_CONT",
    "PT15M": "UPDATE_CONT",
    "PT1H": "HOURLY",
    "P1D": "DAILY",
    "P1W": "WEEKLY",
    "P1M": "MONTHLY",
    "P3M": "QUARTERLY",
    "P1Y": "ANNUAL",
}
FILE_TYPES = {"csv": "CSV", "xlsx": "XLSX", "geojson": "GEOJSON", "json": "JSON"}
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "vcard": str(VCARD),
    "skos": str(SKOS),
    "xsd": str(XSD),
}


def catalog_graph(db: Session, registry: Registry, base: str) -> Graph:
    """The RDF graph of the public catalogue."""
    g = Graph()
    for prefix, ns in CONTEXT.items():
        g.bind(prefix, Namespace(ns))
    agencies = {a.code: a for a in db.execute(select(Agency)).scalars()}
    cat = URIRef(f"{base}/catalog")
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal("Danh mục dữ liệu mở tỉnh Đắk Lắk", lang="vi")))
    g.add((cat, DCTERMS.title, Literal("Đắk Lắk province open data catalogue", lang="en")))
    g.add(
        (
            cat,
            DCTERMS.description,
            Literal(
                "Dữ liệu do Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Đắk Lắk nắm giữ, "
                "kèm chất lượng (sống, đủ, sạch, đúng) và giấy phép.",
                lang="vi",
            ),
        )
    )
    g.add(
        (
            cat,
            DCTERMS.description,
            Literal(
                "Datasets held by the Đắk Lắk provincial IOC, with quality and licence.", lang="en"
            ),
        )
    )
    publisher = _agent(g, base, "trung-tam-ioc", agencies)
    g.add((cat, DCTERMS.publisher, publisher))
    g.add((cat, FOAF.homepage, URIRef(f"{base}/open-data")))
    g.add((cat, DCTERMS.language, EU_LANG.VIE))
    for entry in public_entries(registry):
        g.add((cat, DCAT.dataset, _dataset(g, entry, base, agencies, db)))
    return g


def _agent(g: Graph, base: str, code: str, agencies: dict[str, Agency]) -> URIRef:
    node = URIRef(f"{base}/open-data/organization/{code}")
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, FOAF.name, Literal(agencies[code].name if code in agencies else code, lang="vi")))
    return node


def _dataset(
    g: Graph, entry: catalogue.Entry, base: str, agencies: dict[str, Agency], db: Session
) -> URIRef:
    spec = entry.spec
    ds = URIRef(f"{base}/open-data/{spec.code}")
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(spec.code)))
    g.add((ds, DCTERMS.title, Literal(spec.title_vi, lang="vi")))
    g.add((ds, DCTERMS.title, Literal(spec.title_en, lang="en")))
    g.add((ds, DCTERMS.description, Literal(spec.description_vi, lang="vi")))
    g.add((ds, DCTERMS.description, Literal(spec.description_en, lang="en")))
    g.add((ds, DCTERMS.publisher, _agent(g, base, spec.owner_agency, agencies)))
    contact = BNode()
    g.add((ds, DCAT.contactPoint, contact))
    g.add((contact, RDF.type, VCARD.Organization))
    name = agencies[spec.owner_agency].name if spec.owner_agency in agencies else spec.owner_agency
    g.add((contact, VCARD.fn, Literal(name)))
    g.add((contact, VCARD.hasURL, URIRef(f"{base}/open-data/organization/{spec.owner_agency}")))
    for tag in spec.tags:
        g.add((ds, DCAT.keyword, Literal(tag)))
    g.add((ds, DCAT.landingPage, URIRef(f"{base}/open-data/{spec.code}")))
    g.add((ds, DCTERMS.accrualPeriodicity, EU_FREQ[FREQUENCIES.get(spec.frequency, "IRREG")]))
    place = BNode()
    g.add((ds, DCTERMS.spatial, place))
    g.add((place, RDF.type, DCTERMS.Location))
    g.add((place, SKOS.prefLabel, Literal(spec.spatial_vi, lang="vi")))
    g.add((place, SKOS.prefLabel, Literal(spec.spatial_en, lang="en")))
    start, end = catalogue.temporal(entry, db)
    if start is not None:
        period = BNode()
        g.add((ds, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        g.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
        if end is not None:
            g.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))
    licence_url = licences.url(spec.licence)
    for fmt in downloads.formats_of(spec):
        label, mime = downloads.FORMATS[fmt]
        dist = URIRef(f"{base}/open-data/{spec.code}.{fmt}")
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{spec.title_vi} ({label})", lang="vi")))
        g.add((dist, DCAT.accessURL, URIRef(f"{base}/open-data/{spec.code}")))
        g.add((dist, DCAT.downloadURL, dist))
        g.add((dist, DCTERMS.format, EU_FILE[FILE_TYPES[fmt]]))
        g.add((dist, DCAT.mediaType, URIRef(IANA + mime.split(";")[0])))
        if licence_url:
            lic = URIRef(licence_url)
            g.add((dist, DCTERMS.license, lic))
            g.add((lic, RDF.type, DCTERMS.LicenseDocument))
    return ds


@router.get("/catalog.jsonld", summary="DCAT-AP 3 catalogue (JSON-LD)")
def catalog_jsonld(request: Request, db: DbSession, registry: AppRegistry, _p: Public) -> Response:
    """The public catalogue as DCAT-AP 3 in JSON-LD."""
    g = catalog_graph(db, registry, base_url(request))
    body = g.serialize(format="json-ld", context=CONTEXT, indent=2)
    return Response(body, media_type="application/ld+json")


@router.get("/catalog.ttl", summary="DCAT-AP 3 catalogue (Turtle)")
def catalog_ttl(request: Request, db: DbSession, registry: AppRegistry, _p: Public) -> Response:
    """The public catalogue as DCAT-AP 3 in Turtle."""
    g = catalog_graph(db, registry, base_url(request))
    return Response(g.serialize(format="turtle"), media_type="text/turtle; charset=utf-8")
