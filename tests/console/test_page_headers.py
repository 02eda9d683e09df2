"""Every page of the back office forbids framing and foreign code."""
from intake_store.headers import HEADERS


async def test_console_portal_and_login_pages_forbid_framing_and_foreign_scripts(site):
    number = await site.file()
    op, dept, boss = await site.signed_in("op1"), await site.signed_in("laishan1"), await site.signed_in("sup1")
    pages = [(site.person(), "/login"), (op, "/console/"), (op, f"/console/tickets/{number}"),
             (dept, "/portal/"), (dept, f"/portal/tickets/{number}"), (boss, "/console/dashboard")]
    for person, path in pages:
        page = await person.get(path)
        assert page.status == 200, (path, page.status)
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"], path
        assert "script-src 'self'" in page.headers["Content-Security-Policy"], path
        assert {k: page.headers[k] for k in HEADERS} == HEADERS, path
