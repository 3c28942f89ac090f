from __future__ import annotations


def test_the_programme_world_has_a_cascade(programme) -> None:
    assert programme.crc.supported_by == programme.coach
    assert programme.crc.org_path == programme.crc.org_unit.path
    assert len(programme.skills) == 4
