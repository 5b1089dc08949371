"""Imported by the local engine's fork server: the pipeline, warmed up once for every worker.

Workers are forked from the fork server, so what it has loaded they start with. Importing
the pipeline is not all: the gazetteers, the compiled patterns and the lookup tables are
built lazily on a document's first use (~0.2 s). Running one small plan through every stage
here pays that once, instead of once per worker (and again after each worker recycling).
The patterns come from ``pipeline.regex_cache`` when an earlier run compiled them.
"""

from __future__ import annotations

import gc
import os

# Before pyarrow is imported here: workers hold their rows as Arrow data until they write
# them, and the system allocator keeps the least of what each written batch frees (a
# worker's peak RSS over 1,500 documents: 131 MB, 139 with jemalloc, 167 with mimalloc,
# Arrow's default). A user's own setting wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from .. import regex_cache  # noqa: E402

# Before the extractors are imported: most of the patterns are compiled at import.
regex_cache.install()

from .. import write  # noqa: E402,F401  (workers write their own batches: pyarrow.parquet, imported once here)
from .server import in_fork_server  # noqa: E402
from .task import process_task  # noqa: E402,F401  (the function workers run)

_SAMPLE = """ỦY BAN NHÂN DÂN
TỈNH LÂM ĐỒNG
Số: 12/KH-UBND
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Lâm Đồng, ngày 05 tháng 01 năm 2026

KẾ HOẠCH
Thực hiện Chỉ thị số 33/CT-TTg ngày 05/10/2021 của Thủ tướng Chính phủ năm 2026

I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
Căn cứ Luật Ban hành văn bản quy phạm pháp luật năm 2025 và Nghị quyết số 75/NQ-HĐND ngày 09/12/2024.
II. NHIỆM VỤ
1. Sở Nội vụ chủ trì, phối hợp với các sở, ngành báo cáo kết quả trước ngày 15/12/2026.
2. Định kỳ hằng quý (trước ngày 10 của tháng cuối quý), Ủy ban nhân dân các xã báo cáo.
| STT | Nội dung | Cơ quan chủ trì | Thời gian |
| 1 | Tuyên truyền | Sở Văn hóa, Thể thao và Du lịch | Quý III/2026 |
III. TỔ CHỨC THỰC HIỆN
Giao Sở Tài chính tham mưu bố trí kinh phí thực hiện; hoàn thành trong tháng 6 năm 2026.
"""


def warm_up() -> None:
    """Run the sample plan through every stage, so that lazy tables and patterns are built
    (and pyarrow is loaded: workers send their rows as Arrow record batches)."""
    from .task import Task

    process_task(Task("warm-up.txt", data=_SAMPLE.encode()))


try:
    warm_up()
except Exception:  # a warm-up must never keep workers from starting; they warm up lazily then
    pass
regex_cache.save()  # the next run's server starts ~0.25 s sooner (a no-op when nothing was new)

if in_fork_server():
    # What the server has built lives as long as the workers forked from it: keep the workers'
    # garbage collector off it, so that their collections neither walk it nor write to its
    # pages (copying them out of the memory they share with the server).
    gc.freeze()
