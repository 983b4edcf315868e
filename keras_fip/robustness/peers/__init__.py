"""The ensemble methods of the robustness job, one module each, registered in `ENSEMBLES`.

- `fip`: the FIP ensembles (`fip`, WeightDiversity along the path, ours;
  `fip_path`, the paper's random secondary direction), from `grow_ensemble`;
- `deep`: independently trained networks (deep ensemble);
- `fge`: fast geometric ensembling from the start (Garipov et al. 2018);
- `snapshot`: snapshot ensemble from scratch (Huang et al. 2017);
- `_cyclic`: the cyclic SGD run FGE and snapshot share.

Each module defines its `EnsembleMethod` (see `keras_fip.robustness.registry`).
"""
