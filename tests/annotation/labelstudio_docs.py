"""Label Studio exports written the way Label Studio writes them (its documented task format).

Field names and shapes follow Label Studio's "JSON format of annotated tasks": a task has
``id``, ``data``, ``annotations`` (each with ``id``, ``completed_by``, ``result`` items with
``id``, ``from_name``, ``to_name``, ``type``, ``value``; ``was_cancelled``, ``ground_truth``,
``created_at``, ``updated_at``, ``lead_time``, ``result_count``, ``task``), ``predictions``
(``model_version``, ``score``, ``result``), ``drafts``, ``meta`` and the timestamps. Enterprise
adds ``reviews`` on annotations, and ``completed_by`` may be expanded to a user object.
"""

from __future__ import annotations

from typing import Any


def _choice(rid: str, labels: list[str], *, from_name: str = "risk") -> dict[str, Any]:
    return {
        "id": rid,
        "type": "choices",
        "value": {"choices": labels},
        "origin": "manual",
        "to_name": "text",
        "from_name": from_name,
    }


def _annotation(
    aid: int, task: int, user: Any, result: list[dict[str, Any]], **more: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": aid,
        "completed_by": user,
        "result": result,
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": f"2026-11-0{task}T0{aid % 10}:15:08.728353Z",
        "updated_at": f"2026-11-0{task}T0{aid % 10}:16:08.728378Z",
        "draft_created_at": None,
        "lead_time": 4.288 + aid,
        "prediction": {},
        "result_count": len(result),
        "unique_id": f"5b0b7e4c-1c5c-4e8f-9d0e-00000000{aid:04d}",
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": task,
        "project": 83,
        "updated_by": user if isinstance(user, int) else user.get("id"),
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }
    doc.update(more)
    return doc


def label_studio_export() -> list[dict[str, Any]]:
    """Four tasks: double, triple with a cancelled skip, with predictions and other controls."""
    alice, bob = 10, {"id": 11, "email": "bob@example.com", "first_name": "Bob", "last_name": "B"}
    dan = {"id": 12, "email": "dan@example.com", "first_name": "", "last_name": ""}
    return [
        {
            "id": 1,
            "data": {
                "text": "这个地方的人都不讲卫生",
                "meta_info": {"source": "forum", "ts": 1733000000},
            },
            "annotations": [
                _annotation(1001, 1, alice, [_choice("Dx_aB91ISN", ["A.2.d"])]),
                _annotation(
                    1002,
                    1,
                    bob,
                    [
                        _choice("t5sp3TyXPo", ["A.2.d", "A.4.c"]),
                        {
                            "id": "c0mm3nt",
                            "type": "textarea",
                            "value": {"text": ["地域歧视"]},
                            "origin": "manual",
                            "to_name": "text",
                            "from_name": "comment",
                        },
                    ],
                    reviews=[
                        {
                            "id": 7,
                            "created_by": {
                                "id": 3,
                                "email": "lead@example.com",
                                "first_name": "L",
                                "last_name": "D",
                            },
                            "accepted": True,
                        }
                    ],
                ),
            ],
            "drafts": [],
            "predictions": [
                {
                    "id": 501,
                    "model_version": "hegui-engine 0.1",
                    "created_ago": "3 hours",
                    "score": 0.91,
                    "result": [_choice("pr3d1", ["A.2.d"])],
                    "cluster": None,
                    "neighbors": None,
                    "mislabeling": 0.0,
                    "created_at": "2026-11-01T00:00:00.000000Z",
                    "updated_at": "2026-11-01T00:00:00.000000Z",
                    "model": None,
                    "model_run": None,
                    "task": 1,
                    "project": 83,
                }
            ],
            "meta": {},
            "created_at": "2026-11-01T00:00:00.000000Z",
            "updated_at": "2026-11-01T09:16:08.746926Z",
            "inner_id": 1,
            "total_annotations": 2,
            "cancelled_annotations": 0,
            "total_predictions": 1,
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": 83,
            "updated_by": 11,
            "file_upload": "d1b8c0a2-tasks.json",
            "comment_authors": [],
        },
        {
            "id": 2,
            "data": {"text": "Tomorrow will be sunny in Beijing.", "ref_id": 456},
            "annotations": [
                _annotation(1003, 2, alice, [_choice("a1", ["none"])]),
                _annotation(1004, 2, dan, [_choice("a2", ["none"])]),
                _annotation(1005, 2, bob, [], was_cancelled=True, result_count=0),
            ],
            "drafts": [],
            "predictions": [],
            "meta": {"batch": "2026-11"},
            "created_at": "2026-11-02T00:00:00.000000Z",
            "updated_at": "2026-11-02T09:16:08.746926Z",
            "inner_id": 2,
            "total_annotations": 2,
            "cancelled_annotations": 1,
            "total_predictions": 0,
            "project": 83,
            "file_upload": "d1b8c0a2-tasks.json",
        },
        {
            "id": 3,
            "data": {"text": "女人就不该当领导"},
            "annotations": [
                # choices in click order (not taxonomy order) must come back in that order
                _annotation(1006, 3, dan, [_choice("b1", ["A.2.e", "A.1.g"])]),
            ],
            "predictions": [],
            "created_at": "2026-11-03T00:00:00Z",
            "project": 83,
        },
        {
            "id": 4,
            "data": {"text": "没有人标注过的任务"},
            "annotations": [],
            "predictions": [],
            "project": 83,
        },
    ]


USER_MAP = {"10": "alice", "bob@example.com": "bob", "12": "dan"}
