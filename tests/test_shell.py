"""`griddesk shell` shows the whole loop in a terminal, without a token or a network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.harness import EXAMPLE

GRIDDESK = Path(sys.executable).parent / "griddesk"
SCRIPT = """\
审计厅小区3号楼2单元又停水了，电话13804711234
/as 张三
1
2
/chat
下午两点恢复供水了
/as 王阿姨
6
/quit
"""


def test_shell_walks_the_loop(tmp_path: Path) -> None:
    """Resident reports, 张三 claims and resolves, the resident rates: all shown in the terminal."""
    done = subprocess.run(
        [str(GRIDDESK), "shell", "--config", str(EXAMPLE)],
        input=SCRIPT,
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "XDG_CACHE_HOME": str(tmp_path)},
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    steps = [
        "工单号：",  # the receipt (the number carries today's date)
        "── 兴安南路第一网格（群） ──",
        "138****1234",  # the group sees a masked phone…
        "  [1] 认领",
        "（张三 点了“认领”）",
        "认领，办理中",
        "居民：王阿姨",  # …the claimer gets the contact privately
        "13804711234",
        "（张三 点了“办结”）",
        "请回复工单",
        "办理结果：下午两点恢复供水了",
        "请您对这次办理做个评价",
        "（王阿姨 点了“满意”）",
        "已完成（居民评价：满意）",
    ]
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"missing {step!r} after position {position}:\n{out[position:][:3000]}"
        position = found
