"""What the HTML routes of the packs share: the request bundled with its session and caller
(:class:`Call`), the text fields of a posted form or of a page's filters read in one go
(:func:`form_fields`, :func:`query_fields`), and the answers of table downloads and refused
parameters.

A route says who may call it by the bundle it takes (``call: ViewerCall``): the bundle depends on
the same ``require(...)`` guard as the :mod:`ioc.web.deps` alias of that name, so the route audit
finds the permission, and an anonymous visitor of a page is sent to the login page as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final, NamedTuple

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ioc.engines.exports import Table
from ioc.engines.sector.routes import table_download
from ioc.web.deps import (
    Admin,
    DbSession,
    Handler,
    IngestorPage,
    ManagerPage,
    Operations,
    Principal,
    Public,
    Viewer,
    request_language,
)
from ioc.web.templating import render

__all__ = [
    "EXPORT_FORMATS",
    "AdminCall",
    "Call",
    "HandlerCall",
    "IngestorCall",
    "ManagerCall",
    "OperationsCall",
    "Posted",
    "PublicCall",
    "ViewerCall",
    "attachment",
    "form_fields",
    "invalid_parameters",
    "page",
    "plain_error",
    "query_fields",
    "table_file",
]

EXPORT_FORMATS: Final = ("csv", "xlsx")
# The start of every "refused parameters" answer of a download (400, plain text).
INVALID: Final = "Tham số không hợp lệ / invalid parameters"


class Call(NamedTuple):
    """One page request as a route sees it: the request, its database session and the caller.
    A route unpacks it (``request, db, principal = call``) or reads its fields."""

    request: Request
    db: Session
    principal: Principal

    @property
    def lang(self) -> str:
        """The page language (``?lang=``, the cookie, then the default)."""
        return request_language(self.request)


def _bundle(guard: Any) -> Callable[..., Call]:
    """The dependency that bundles a request, its session and the caller that ``guard`` (an
    :mod:`ioc.web.deps` alias such as ``Viewer``) admits."""

    def bundle(request: Request, db: Session, principal: Principal) -> Call:
        return Call(request, db, principal)

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    bundle.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", kind, annotation=Request),
            inspect.Parameter("db", kind, annotation=DbSession),
            inspect.Parameter("principal", kind, annotation=guard),
        ],
        return_annotation=Call,
    )
    return bundle


PublicCall = Annotated[Call, Depends(_bundle(Public))]
ViewerCall = Annotated[Call, Depends(_bundle(Viewer))]
HandlerCall = Annotated[Call, Depends(_bundle(Handler))]
IngestorCall = Annotated[Call, Depends(_bundle(IngestorPage))]
ManagerCall = Annotated[Call, Depends(_bundle(ManagerPage))]
OperationsCall = Annotated[Call, Depends(_bundle(Operations))]
AdminCall = Annotated[Call, Depends(_bundle(Admin))]

# A text field's limit: its greatest length, or its greatest length and the value it takes
# when the form or the query does not carry it ("" otherwise).
Limit = int | tuple[int, str]


def _texts(source: Mapping[str, Any], limits: Mapping[str, Limit], where: str) -> dict[str, str]:
    """The fields named by ``limits`` from a form or a query string; a value longer than its
    limit (or not text) is refused with 422, as ``Form(max_length=…)`` / ``Query(…)`` would."""
    values: dict[str, str] = {}
    errors: list[dict[str, Any]] = []
    for name, limit in limits.items():
        most, default = limit if isinstance(limit, tuple) else (limit, "")
        value = source.get(name, default)
        if not isinstance(value, str):
            errors.append(
                {"type": "string_type", "loc": (where, name), "msg": "Input should be a valid "
                 "string", "input": None}
            )  # fmt: skip
        elif len(value) > most:
            errors.append(
                {"type": "string_too_long", "loc": (where, name), "input": value,
                 "msg": f"String should have at most {most} characters",
                 "ctx": {"max_length": most}}
            )  # fmt: skip
        else:
            values[name] = value
    if errors:
        raise RequestValidationError(errors)
    return values


@dataclass(frozen=True)
class Posted:
    """The text fields of a posted form: its ``csrf_token`` and what the visitor entered
    (``entered``, the values a refused form is shown again with)."""

    csrf_token: str
    entered: dict[str, str]

    def __getitem__(self, name: str) -> str:
        return self.entered[name]


def form_fields(
    *, csrf_token: int = 128, **limits: Limit
) -> Callable[[Request], Awaitable[Posted]]:
    """The dependency reading a posted form's ``csrf_token`` and the text fields named by
    ``limits`` (``name=max_length`` or ``name=(max_length, default)``) as a :class:`Posted`:
    ``DirectiveForm = Annotated[Posted, Depends(form_fields(number=200, …))]``."""

    async def read(request: Request) -> Posted:
        form = await request.form()
        values = _texts(form, {"csrf_token": csrf_token, **limits}, "body")
        return Posted(values.pop("csrf_token"), values)

    return read


def query_fields(**limits: Limit) -> Callable[[Request], dict[str, str]]:
    """The dependency reading the query's text fields named by ``limits`` (``name=max_length``
    or ``name=(max_length, default)``) as a dict:
    ``Filters = Annotated[dict[str, str], Depends(query_fields(xa=16, …))]``."""

    def read(request: Request) -> dict[str, str]:
        return _texts(request.query_params, limits, "query")

    return read


def page(
    call: Call, template: str, context: dict[str, Any], *, refused: object = None
) -> HTMLResponse:
    """Render ``template`` for the caller: 400 when the page shows a refusal (``refused``, a
    filter or form it could not take), 200 otherwise."""
    return render(
        call.request,
        template,
        context,
        principal=call.principal,
        status_code=400 if refused else 200,
    )


def attachment(body: bytes | str, media_type: str, filename: str) -> Response:
    """A file to download (``Content-Disposition: attachment``) named ``filename``."""
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def table_file(table: Table, fmt: str, stem: str) -> Response:
    """The table as an XLSX (``fmt`` "xlsx") or CSV attachment ``{stem}.{fmt}``."""
    return table_download(table, fmt, f"{stem}.{fmt}")


def plain_error(text: str, status_code: int = 400) -> Response:
    """A refusal in plain text (downloads answer no page)."""
    return Response(text, status_code=status_code, media_type="text/plain; charset=utf-8")


def invalid_parameters(*problems: str) -> Response:
    """400: the parameters of a download that were refused, each with its reason."""
    return plain_error(f"{INVALID} — " + "; ".join(problems))
