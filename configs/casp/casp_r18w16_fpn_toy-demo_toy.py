# CaSP end to end on the generated toy dataset, sized for 2 CPU cores:
# class-agnostic labeler on the labeled split -> pseudo labels (delta 0.2) on
# the unlabeled split -> warmup on pseudo labels only -> finetune the
# class-specific CondInst (backbone, neck, heads transferred) -> compare with
# the same finetuning from the plain init.
#   python tools/casp.py configs/casp/casp_r18w16_fpn_toy-demo_toy.py
# Without data_root the toy data are generated under <work_dir>/data.
data_root = None
toy = dict(num_images=dict(labeled=120, unlabeled=240, val=60), seed=0)

casp = dict(
    data=dict(
        labeled=dict(
            ann='annotations/instances_labeled.json', img='images/labeled'),
        unlabeled=dict(ann='annotations/unlabeled.json',
                       img='images/unlabeled'),
        val=dict(ann='annotations/instances_val.json', img='images/val')),
    labeler=dict(
        config='configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py',
        epochs=12),
    pseudo=dict(delta=0.2, max_per_image=30, batch_size=8, num_workers=2),
    warmup=dict(
        config='configs/condinst/condinst-ca_r18w16_fpn_toy-12e_toy-objects.py',
        epochs=6),
    finetune=dict(
        config='configs/condinst/condinst_r18w16_fpn_toy-12e_toy.py',
        epochs=12,
        parts=['backbone', 'neck', 'head', 'mask_head'],
        classifier='random'),
    seed=0)
