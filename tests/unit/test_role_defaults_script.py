"""scripts/lib/role_defaults.py: the image scripts' view of the role defaults, references rendered."""

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("role_defaults", REPO / "scripts/lib/role_defaults.py")
role_defaults = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(role_defaults)


def test_a_default_that_refers_to_others_is_rendered():
    defaults = {"a_version": "v1.2.3", "a_image": "localhost/x:{{ a_version }}", "a_other": "{{ a_image }}-y"}
    assert role_defaults.render("a_image", defaults) == "localhost/x:v1.2.3"
    assert role_defaults.render("a_other", defaults) == "localhost/x:v1.2.3-y"
    assert role_defaults.render("a_version", defaults) == "v1.2.3"


def test_a_reference_to_no_default_is_an_error():
    with pytest.raises(ValueError, match="a_image refers to a_missing"):
        role_defaults.render("a_image", {"a_image": "x:{{ a_missing }}"})


def test_defaults_that_refer_to_each_other_are_an_error():
    with pytest.raises(ValueError, match="loop"):
        role_defaults.render("a", {"a": "{{ b }}", "b": "{{ a }}"})


def test_the_minio_image_follows_the_minio_version(capsys):
    role_defaults.main(["artifact_store_image", "artifact_store_minio_version"])
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["artifact_store_image"] == "localhost/mlops-mlflow/minio:" + lines["artifact_store_minio_version"]
