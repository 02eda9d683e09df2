"""Property-based fuzzing of every endpoint of the app's OpenAPI document
(schemathesis), as the assistant's service, an operator, a supervisor and a
department: whatever is sent, the answer is never a 500. The app runs as
`hotline serve` on a loopback port with its own SQLite file; Rasa is absent,
so chat messages get the "saved" notice."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_servers import free_port, http_status

ROOT = Path(__file__).resolve().parent.parent
ST = Path(sys.executable).parent / "st"
SEED = "147339518466271197502762217024521599116"  # fixed, so a failure reproduces; bench/ may vary it
EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "15")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'h.db'}", "HOTLINE_VAR_DIR": str(work),
           "HOTLINE_SERVICE_TOKEN": "fuzz-service-token", "RASA_URL": f"http://127.0.0.1:{free_port()}",
           "ACTIONS_URL": "", "RASA_TIMEOUT_SECONDS": "0.5"}
    hotline = [sys.executable, "-m", "intake_store.cli"]
    subprocess.run([*hotline, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    tokens = {"service": "fuzz-service-token"}
    for role, extra in (("operator", []), ("supervisor", []), ("department", ["--department", "laishan"])):
        out = subprocess.run([*hotline, "token", "--name", f"fuzz-{role}", "--role", role, *extra], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True, timeout=300)
        tokens[role] = out.stdout.strip()
    with open(work / "serve.log", "wb") as log:
        proc = subprocess.Popen([*hotline, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if http_status(f"{url}/api/openapi.json") == 200:
                break
            assert proc.poll() is None, (work / "serve.log").read_text()
            time.sleep(0.5)
        yield url, tokens, work / "serve.log"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.skipif(not ST.exists(), reason="schemathesis is not installed (pip install -e '.[test]')")
@pytest.mark.parametrize("role", ["service", "operator", "supervisor", "department"])
def test_no_endpoint_answers_500_whatever_it_is_sent(served, role):
    url, tokens, log = served
    out = subprocess.run(
        [str(ST), "run", f"{url}/api/openapi.json", "--checks", "not_a_server_error",
         "--header", f"Authorization: Bearer {tokens[role]}", "--max-examples", EXAMPLES, "--seed", SEED,
         "--phases", "examples,fuzzing", "--workers", "1", "--no-color"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-6000:] + "\n" + log.read_text(errors="replace")[-4000:]
