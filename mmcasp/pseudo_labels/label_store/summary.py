# Copyright (c) mmcasp contributors. All rights reserved.
"""What a store holds, in a few lines (``label_store.py stats``)."""
from .reader import LabelStore
from .stats import format_stats

__all__ = ['describe_store']


def describe_store(store: str) -> str:
    """The store's size, categories, how its labels were made, and the
    labeling statistics (:func:`~.stats.format_stats`)."""
    labels = LabelStore(store)
    m = labels.manifest
    data_bytes = sum(d['bytes'] for d in m['data_files'])
    info = m['info']
    made = ', '.join(f'{k} {info[k]}'
                     for k in ('labeler', 'checkpoint', 'delta',
                               'max_per_image', 'image_root', 'date_created')
                     if k in info)
    cats = ', '.join(f"{c['id']}: {c.get('name', '?')}"
                     for c in m['categories'][:10])
    more = f' (+{len(m["categories"]) - 10})' if len(
        m['categories']) > 10 else ''
    lines = [
        f'label store {store} (format {m["format"]} version '
        f'{m["format_version"]})',
        f'images: {m["images"]}, labels: {m["labels"]}, data files: '
        f'{len(m["data_files"])} ({data_bytes / 1e6:.1f} MB)',
        f'categories: {cats}{more}',
    ]
    if made:
        lines.append(f'made with: {made}')
    lines.append(format_stats(m['stats']))
    labels.close()
    return '\n'.join(lines)
