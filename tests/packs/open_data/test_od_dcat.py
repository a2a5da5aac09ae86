"""The catalogue as DCAT-AP 3, parsed with rdflib (JSON-LD and Turtle), with the properties
the profile requires on the catalogue, its datasets and their distributions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Namespace
from rdflib.namespace import DCTERMS, FOAF, RDF

DCAT = Namespace("http://www.w3.org/ns/dcat#")


# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally (deprecated in rdflib 7).
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("path", "fmt", "kind"),
    [
        ("/catalog.ttl", "turtle", "text/turtle"),
        ("/catalog.jsonld", "json-ld", "application/ld+json"),
    ],
)
def test_dcat_required_properties(client: TestClient, path: str, fmt: str, kind: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith(kind)
    g = Graph()
    g.parse(data=resp.text, format=fmt)
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    cat = catalogs[0]
    assert {t.language for t in g.objects(cat, DCTERMS.title)} == {"vi", "en"}
    assert list(g.objects(cat, DCTERMS.description))
    publisher = g.value(cat, DCTERMS.publisher)
    assert publisher is not None and g.value(publisher, FOAF.name) is not None
    datasets = set(g.objects(cat, DCAT.dataset))
    assert datasets == set(g.subjects(RDF.type, DCAT.Dataset))
    identifiers = {str(g.value(d, DCTERMS.identifier)) for d in datasets}
    assert {"phan-anh-hien-truong", "moi-truong-chi-tieu"} <= identifiers
    assert "van-ban-den-di" not in identifiers  # internal
    for d in datasets:
        assert g.value(d, DCTERMS.title) is not None, d
        assert g.value(d, DCTERMS.description) is not None, d
        assert g.value(d, DCTERMS.identifier) is not None, d
        assert g.value(d, DCTERMS.publisher) is not None, d
        assert g.value(d, DCAT.contactPoint) is not None, d
        assert g.value(d, DCTERMS.accrualPeriodicity) is not None, d
        distributions = list(g.objects(d, DCAT.distribution))
        assert distributions, d
        for dist in distributions:
            assert (dist, RDF.type, DCAT.Distribution) in g
            assert g.value(dist, DCAT.accessURL) is not None, dist
            assert str(g.value(dist, DCTERMS.format)).startswith(
                "http://publications.europa.eu/resource/authority/file-type/"
            )
            assert str(g.value(dist, DCTERMS.license)).startswith("https://creativecommons.org/")
    reports = next(
        d for d in datasets if str(g.value(d, DCTERMS.identifier)) == "phan-anh-hien-truong"
    )
    formats = {
        str(g.value(x, DCTERMS.format)).rsplit("/", 1)[-1]
        for x in g.objects(reports, DCAT.distribution)
    }
    assert formats == {"CSV", "XLSX", "GEOJSON", "JSON"}
