"""The OpenAPI 3.1 document, built from the endpoint registry and the pydantic schemas."""
from __future__ import annotations

import re

from pydantic import BaseModel

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "code"],
    "properties": {
        "error": {"type": "string", "description": "中文说明"},
        "code": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}},
    },
}


def build_openapi(endpoints) -> dict:
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


def _success(ep, components: dict) -> dict:
    if ep.response is None:
        return {"description": "成功"}
    return {"description": "成功", "content": {"application/json": {"schema": _ref(ep.response, components)}}}


def _ref(model: type[BaseModel], components: dict) -> dict:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}
