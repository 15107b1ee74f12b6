"""Pictures of what the data, the models and the mixing do, and plots of runs (issue 22).

Small modules, one idea each: ``stats`` (reading stats.jsonl), ``plots`` (training curves),
``epoch_plot`` (the trainer's epoch-end stats.png), ``drawing`` (frames, boxes, masks, grids, GIFs),
``rollout`` (attention capture and rollout), ``gradcam`` (Grad-CAM through the grad-cam library),
``pictures`` (the figures of ``tools/visualize.py``). Nothing here is imported by training except
``epoch_plot``, and matplotlib only when a plot is drawn.
"""
