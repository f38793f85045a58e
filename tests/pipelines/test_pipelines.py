"""POST/GET /deal-stages and stage categories, on both API bases."""

import pytest

from intentsync.pipelines.categories import category_for_label
from tests.factories import CRM, V1

BASES = [CRM, V1]


def pipeline(pid, *stages):
    return {
        "pipelineId": pid,
        "pipelineLabel": pid.title(),
        "stages": [{"stageId": s, "stageLabel": label} for s, label in stages],
    }


SMB = pipeline(
    "smb-pipeline", ("qual", "Qualified"), ("won", "Closed Won"), ("lost", "Closed Lost")
)


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("Closed Won", "won"),
        ("won", "won"),
        ("WON - signed", "won"),
        ("Closed Lost", "lost"),
        ("Lost", "lost"),
        ("Qualified", "open"),
        ("Wonderful demo", "open"),
        (None, "open"),
    ],
)
def test_category_from_label(label, category):
    assert category_for_label(label) == category


@pytest.mark.parametrize("base", BASES)
def test_create_and_list_pipelines_with_categories(ws, base):
    api = ws.surface(base)
    response = api.post("/deal-stages", {"pipelines": [SMB, pipeline("ent", ("a", "Discovery"))]})
    assert response.status_code == 200
    assert response.json()["data"] == {
        "results": [
            {"pipelineId": "smb-pipeline", "status": "created"},
            {"pipelineId": "ent", "status": "created"},
        ],
        "summary": {"total": 2, "created": 2},
    }
    listed = api.get("/deal-stages").json()["data"]
    assert listed[0] == {
        "pipelineId": "smb-pipeline",
        "pipelineLabel": "Smb-Pipeline",
        "stages": [
            {"stageId": "qual", "stageLabel": "Qualified", "category": "open"},
            {"stageId": "won", "stageLabel": "Closed Won", "category": "won"},
            {"stageId": "lost", "stageLabel": "Closed Lost", "category": "lost"},
        ],
    }
    assert [p["pipelineId"] for p in listed] == ["smb-pipeline", "ent"]


@pytest.mark.parametrize("base", BASES)
def test_existing_pipeline_rejects_the_whole_request(ws, base):
    api = ws.surface(base)
    api.post("/deal-stages", {"pipelines": [SMB, pipeline("mid", ("x", "X"))]})
    response = api.post(
        "/deal-stages",
        {"pipelines": [pipeline("new", ("a", "A")), SMB, pipeline("mid", ("x", "X"))]},
    )
    body = response.json()
    assert response.status_code == 409
    assert body["message"] == "Conflict"
    assert body["customMessage"] == "Pipeline(s) already exist: mid, smb-pipeline"
    assert [p["pipelineId"] for p in api.get("/deal-stages").json()["data"]] == [
        "smb-pipeline",
        "mid",
    ]


def test_duplicate_ids_in_one_request_are_400(ws):
    response = ws.post("/deal-stages", {"pipelines": [SMB, SMB]})
    assert response.status_code == 400
    assert (
        response.json()["customMessage"]
        == "pipelineId 'smb-pipeline' appears more than once in this request"
    )
    response = ws.post("/deal-stages", {"pipelines": [pipeline("p", ("a", "A"), ("a", "B"))]})
    assert response.status_code == 400
    assert ws.get("/deal-stages").json()["data"] == []


def test_pipeline_validation(ws):
    assert ws.post("/deal-stages", {"pipelines": []}).json()["data"][0]["constraints"] == {
        "arrayMinSize": "pipelines must contain at least 1 elements"
    }
    many = {"pipelines": [pipeline(f"p{i}", ("a", "A")) for i in range(21)]}
    assert ws.post("/deal-stages", many).json()["data"][0]["constraints"] == {
        "arrayMaxSize": "pipelines must contain no more than 20 elements"
    }
    no_stages = {"pipelines": [{"pipelineId": "p", "pipelineLabel": "P", "stages": []}]}
    assert ws.post("/deal-stages", no_stages).json()["data"][0]["constraints"] == {
        "arrayMinSize": "stages must contain at least 1 elements"
    }
    missing = ws.post(
        "/deal-stages", {"pipelines": [{"pipelineLabel": "P", "stages": [{"stageId": "a"}]}]}
    )
    props = {e["property"] for e in missing.json()["data"]}
    assert props == {"pipelineId", "stageLabel"}


@pytest.mark.parametrize("base", BASES)
def test_stage_category_can_be_changed(ws, base):
    api = ws.surface(base)
    api.post("/deal-stages", {"pipelines": [SMB]})
    response = api.patch("/deal-stages/smb-pipeline/stages/qual", {"category": "won"})
    assert response.status_code == 200
    assert response.json()["data"] == {
        "stageId": "qual",
        "stageLabel": "Qualified",
        "category": "won",
    }
    assert api.get("/deal-stages").json()["data"][0]["stages"][0]["category"] == "won"
    assert (
        api.patch("/deal-stages/smb-pipeline/stages/nope", {"category": "won"}).status_code == 404
    )
    bad = api.patch("/deal-stages/smb-pipeline/stages/qual", {"category": "maybe"})
    assert bad.json()["data"][0]["constraints"] == {
        "isIn": "category must be one of the following values: open, won, lost"
    }
