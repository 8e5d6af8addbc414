#!/usr/bin/env python3
"""The two quick-start commands, with nothing but Python 3.11+ on the machine:

    python3 dev.py run    # venv, install, migrate, demo data; web + Celery worker + beat; prints address and logins
    python3 dev.py test   # venv, install (dev), browser + CJK font if this machine can install them; every test

Standard library only: this file runs before anything is installed.
"""
from __future__ import annotations

import ctypes.util
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def say(msg: str) -> None:
    print(f"\033[1m==> {msg}\033[0m", flush=True)


def sh(*args: str, env: dict | None = None) -> None:
    subprocess.run(args, cwd=ROOT, check=True, env=env)


def _requirement_files(name: str) -> list[Path]:
    """The file and every file it includes with -r, so a change in any of them reinstalls."""
    path = ROOT / name
    files = [path]
    for line in path.read_text().splitlines():
        if line.startswith("-r "):
            files += _requirement_files(line[3:].strip())
    return files


def ensure_venv(requirements: str) -> None:
    if not PY.exists():
        say("创建虚拟环境 .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    req = ROOT / requirements
    stamp = VENV / f".installed-{requirements}"
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in _requirement_files(requirements))).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        say(f"安装依赖 {requirements}")
        sh(str(PY), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(req))
        stamp.write_text(digest)


def manage(*args: str, env: dict | None = None) -> None:
    sh(str(PY), "manage.py", *args, env=env)


def run() -> None:
    ensure_venv("requirements.txt")
    # The OCR extra too (about 350 MB once): the trial should read a scan the way the desk will.
    ensure_venv("requirements-ocr.txt")
    say("迁移数据库并载入演示数据")
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo")
    env = dict(os.environ)
    # The intake folder of the trial: .txt files dropped there are registered, scans read and listed for the clerk.
    env.setdefault("INTAKE_FOLDER", str(ROOT / "var" / "intake"))
    Path(env["INTAKE_FOLDER"]).mkdir(parents=True, exist_ok=True)
    procs = [
        subprocess.Popen([str(PY), "-m", "celery", "-A", "telegram_office", "worker",  # the declared queues, urgent first
                          "-c", "2", "-l", "WARNING", "-n", "worker@%h"], cwd=ROOT, env=env),
        # beat runs inside the signer: a worker on the `signer` queue only, the one process that signs checkpoints
        subprocess.Popen([str(PY), "-m", "celery", "-A", "telegram_office", "worker", "-B", "-Q", "signer", "-c", "1",
                          "-l", "WARNING", "-n", "signer@%h"], cwd=ROOT, env=env),
        # OCR on a worker of its own: one scan at a time, never in front of a routing.
        subprocess.Popen([str(PY), "-m", "celery", "-A", "telegram_office", "worker", "-Q", "ocr",
                          "-c", "1", "-l", "WARNING", "-n", "ocr@%h"], cwd=ROOT, env=env),
        subprocess.Popen([str(PY), "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], cwd=ROOT, env=env),
    ]
    time.sleep(2)
    print(f"\n  明电收文管理系统已启动：http://{HOST}:{PORT}/   （Celery worker 与 beat 已在后台运行，Ctrl-C 退出）"
          f"\n  收件文件夹：{env['INTAKE_FOLDER']}（放入 .txt 自动登记，放入扫描件自动识别后待机要员确认）\n", flush=True)

    def stop(*_):
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while all(p.poll() is None for p in procs):
        time.sleep(1)
    say("有进程意外退出，正在停止其余进程")
    stop()


def ensure_browser() -> None:
    """Browser journeys use Debian's Chromium, PDFs and screenshots a CJK font; install them where we can."""
    have_font = subprocess.run(["sh", "-c", "fc-list :lang=zh | grep -q ."], capture_output=True).returncode == 0
    have_l10n = Path("/usr/lib/chromium/locales/zh-CN.pak").exists()  # Chinese date pickers and file buttons
    # WeasyPrint (the printed 处理单) needs Pango; its tests read PDFs with poppler-utils.
    missing = [pkg for pkg, ok in (("chromium", shutil.which("chromium")), ("chromium-l10n", have_l10n),
                                   ("fonts-wqy-microhei", have_font),
                                   ("libpangoft2-1.0-0", ctypes.util.find_library("pangoft2-1.0")),
                                   ("poppler-utils", shutil.which("pdftoppm"))) if not ok]
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"安装 {' '.join(missing)}（Debian 软件包）")
        quiet = {"stdout": subprocess.DEVNULL}
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, **quiet)
    else:
        say(f"未安装 {' '.join(missing)}，浏览器测试将无法运行（需要 root 与 apt-get）")


def test(extra: list[str]) -> int:
    ensure_venv("requirements-dev.txt")
    ensure_browser()
    cmd = [str(PY), "-m", "pytest", *extra]
    say(" ".join(cmd[1:]))
    return subprocess.run(cmd, cwd=ROOT).returncode


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs under whatever python3 the machine has
        sys.exit("需要 Python 3.11 或更高版本")
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        sys.exit("用法：python3 dev.py run | python3 dev.py test [pytest 参数]")
    if sys.argv[1] == "run":
        run()
    else:
        sys.exit(test(sys.argv[2:]))


if __name__ == "__main__":
    main()
