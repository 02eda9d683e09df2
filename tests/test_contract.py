"""The assistant's side of the contract (vocabulary/ticket.py, the shapes the
actions send and read) checked against the OpenAPI document the back office
serves: every field the actions send is one the endpoint takes, every field
they read is one it answers, and the JSON types agree."""
from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from intake_store.app import create_app
from intake_store.settings import Settings
from vocabulary import ticket

# (shape, method, path, "request" or the success status of the answer)
CONTRACT = [
    (ticket.NewTicket, "post", "/api/tickets", "request"),
    (ticket.FiledTicket, "post", "/api/tickets", "201"),
    (ticket.FiledTicket, "post", "/api/tickets", "200"),
    (ticket.Understanding, "post", "/api/understand", "200"),
    (ticket.TicketStatus, "post", "/api/status", "200"),
    (ticket.FollowUp, "post", "/api/tickets/{number}/followup", "request"),
    (ticket.FollowUpAnswer, "post", "/api/tickets/{number}/followup", "200"),
    (ticket.Handoff, "post", "/api/conversations/{conversation_id}/handoff", "request"),
]
JSON_TYPES = {str: {"string"}, float: {"number"}, int: {"number"}, bool: {"boolean"}, type(None): {"null"}}


@pytest.fixture(scope="module")
async def document(tmp_path_factory):
    db = tmp_path_factory.mktemp("contract") / "hotline.db"
    client = TestClient(TestServer(create_app(Settings(database_url=f"sqlite:///{db}", hotline_service_token="t"))))
    await client.start_server()
    doc = await (await client.get("/api/openapi.json")).json()
    await client.close()
    return doc


def python_types(annotation: Any) -> set[str]:
    """The JSON types a Python annotation of the shapes allows."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return set().union(*(python_types(a) for a in typing.get_args(annotation)))
    if origin is list:
        return {"array"}
    if origin is dict or typing.is_typeddict(annotation):
        return {"object"}
    return JSON_TYPES[annotation]


def schema_types(schema: dict, doc: dict) -> set[str]:
    """The JSON types an OpenAPI schema allows."""
    if "$ref" in schema:
        return schema_types(doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], doc)
    if "anyOf" in schema:
        return set().union(*(schema_types(s, doc) for s in schema["anyOf"]))
    if "enum" in schema and "type" not in schema:
        return {{str: "string", int: "number", float: "number", bool: "boolean"}[type(v)] for v in schema["enum"]}
    kind = schema.get("type", "object")
    # JSON has one kind of number: an integer is a number a float reads
    return {"number" if k == "integer" else k for k in (kind if isinstance(kind, list) else [kind])}


def schema_of(doc: dict, method: str, path: str, side: str) -> dict:
    op = doc["paths"][path][method]
    content = op["requestBody"]["content"] if side == "request" else op["responses"][side]["content"]
    schema = content["application/json"]["schema"]
    return doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]


@pytest.mark.parametrize("shape,method,path,side", CONTRACT, ids=lambda v: getattr(v, "__name__", v))
async def test_the_actions_shapes_match_the_api_document(document, shape, method, path, side):
    schema = schema_of(document, method, path, side)
    fields = typing.get_type_hints(shape)
    unknown = set(fields) - set(schema["properties"])
    assert not unknown, f"{shape.__name__}: {method.upper()} {path} has no {sorted(unknown)}"
    for name, annotation in fields.items():
        ours, theirs = python_types(annotation), schema_types(schema["properties"][name], document)
        if side == "request":  # whatever the actions send, the endpoint takes
            assert ours <= theirs, (shape.__name__, name, ours, theirs)
        else:  # whatever the endpoint answers, the actions can read
            assert theirs <= ours, (shape.__name__, name, theirs, ours)
    if side == "request":  # the endpoint's required fields are ones the actions can send
        assert set(schema.get("required", [])) <= set(fields), (shape.__name__, schema.get("required"))


def test_a_mismatch_is_caught():
    """The check itself: a shape reading a number as a yes/no is refused."""
    doc = {"components": {"schemas": {}}}
    assert not schema_types({"type": "number"}, doc) <= python_types(bool)
    assert schema_types({"anyOf": [{"type": "string"}, {"type": "null"}]}, doc) <= python_types(typing.Optional[str])
