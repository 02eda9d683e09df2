"""The OpenAPI 3.1 document, built from the app's endpoint registry and the pydantic schemas.

Each module declares its routes on an `ApiRoutes` table with `endpoint(...)`;
`add_to(app)` serves them and registers their descriptions under the app's
`ENDPOINTS` key, so an app describes exactly the routes it serves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from aiohttp import web
from pydantic import BaseModel


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    roles: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    query: tuple[tuple[str, str], ...] = ()
    response: type[BaseModel] | None = None  # what a success returns
    success: tuple[int, ...] = (200,)  # the statuses of a success


ENDPOINTS = web.AppKey("endpoints", list[Endpoint])


class ApiRoutes:
    """A module's routes, with what the API document says about each.

    `any_segment`: path parameters match any segment, so a malformed id still
    reaches the handler, which answers in Chinese, rather than the router's bare 404."""

    def __init__(self, *, any_segment: bool = False):
        self.table = web.RouteTableDef()
        self.endpoints: list[Endpoint] = []
        self.any_segment = any_segment

    def endpoint(self, method: str, path: str, summary: str, roles: tuple[str, ...] = (),
                 body: type[BaseModel] | None = None, query: tuple[tuple[str, str], ...] = (),
                 response: type[BaseModel] | None = None, success: tuple[int, ...] = (200,)):
        def declare(handler: Callable):
            self.endpoints.append(Endpoint(method, path, summary, roles, body, query, response, success))
            self.route(method, path)(handler)
            return handler

        return declare

    def route(self, method: str, path: str):
        """A route the API document leaves out (a web page)."""
        return self.table.route(method, re.sub(r"{(\w+)}", r"{\1:[^/]+}", path) if self.any_segment else path)

    def add_to(self, app: web.Application) -> None:
        app.router.add_routes(self.table)
        app.setdefault(ENDPOINTS, []).extend(self.endpoints)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "code"],
    "properties": {
        "error": {"type": "string", "description": "中文说明"},
        "code": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}


def build_openapi(endpoints: list[Endpoint]) -> dict:
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {"Error": ERROR_SCHEMA}
    for ep in endpoints:
        op: dict = {
            "summary": ep.summary,
            "responses": {
                **{str(status): _success(ep, components) for status in ep.success},
                "4XX": {"description": "请求有误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", ep.path)
        ]
        params += [
            {"name": name, "in": "query", "required": False, "description": desc, "schema": {"type": "string"}}
            for name, desc in ep.query
        ]
        if params:
            op["parameters"] = params
        if ep.roles:
            op["security"] = [{"bearer": []}]
            op["description"] = "角色：" + "、".join(ep.roles)
        if ep.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(ep.body, components)}}}
        paths.setdefault(ep.path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "12345 政务失信投诉热线 API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _success(ep: Endpoint, components: dict) -> dict:
    if ep.response is None:
        return {"description": "成功"}
    return {"description": "成功", "content": {"application/json": {"schema": _ref(ep.response, components)}}}


def _ref(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}
