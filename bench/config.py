"""What every part of `make bench` shares: paths, the bench client, and the bench-only knobs.

The bench's only knob from the environment, BENCH_PG_ADMIN_URL, is read here and nowhere
else. (BENCH_TOKEN, BENCH_INSTANCE and BENCH_PREFIX are written for wrk's post.lua, which
reads them.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PY = sys.executable

LUA = ROOT / "bench" / "post.lua"

INSTANCE = "bench_instance"

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")

SAMPLE = (
    '{"instanceId":"%s","key":{"remoteJid":"5511900000000@s.whatsapp.net","fromMe":false,'
    '"id":"ready-%s"},"message":{"conversationMessage":{"conversation":"oi"}},'
    '"messageTimestamp":"%d","pushName":"x","msgContent":{"conversation":"oi"}}'
)
