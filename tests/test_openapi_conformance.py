"""The API against its own OpenAPI document: a schema-driven fuzzer on a live server, every check.

It runs on a workspace that has data (custom fields, a static segment, a pipeline, accounts), so
requests the document allows reach real records. The run is deterministic and bounded.
"""

import subprocess
import sys
from pathlib import Path

from intentsync.app import create_app
from intentsync.config import Settings
from intentsync.db.engine import Database
from tests.factories import Workspace, account
from tests.live import live_server

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = "10"


def _fill(ws: Workspace) -> None:
    ws.custom_field("Industry", "singleLineText")
    ws.custom_field("Tier", "singleSelection", options=["A", "B"])
    ws.segment()
    ws.push(account(1), account(2), account(3))
    pipeline = {
        "pipelineId": "sales",
        "pipelineLabel": "Sales",
        "stages": [
            {"stageId": "new", "stageLabel": "New"},
            {"stageId": "won", "stageLabel": "Won"},
        ],
    }
    assert ws.post("/deal-stages", {"pipelines": [pipeline]}).status_code == 200


def test_every_operation_conforms_to_the_document(
    settings: Settings, database: Database, ws: Workspace
) -> None:
    _fill(ws)
    # The fuzzer sends far more beacons than one address may; the limit has tests of its own.
    app = create_app(settings.model_copy(update={"track_rate_limit": "off"}), database)
    with live_server(app) as base:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/openapi.json",
                "--header",
                f"X-Api-Key: {ws.key}",
                "--max-examples",
                MAX_EXAMPLES,
                "--workers",
                "1",
                "--no-color",
                "--suppress-health-check",
                "all",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-2000:]
