"""Continual learning on the FIP engine: task streams, methods, runner, metrics."""

from keras_fip.continual.methods import (
    DER, DERPP, ERACE, EWC, FIP, VARIANTS, Consolidate, FineTune, Joint, Method, OutputMatching,
    Plugin, RefreshAnchors, Replay, ReplayModel, StoreSamples,
)
from keras_fip.continual.metrics import backward_transfer, forgetting, average_accuracy, summarize
from keras_fip.continual.runner import ContinualConfig, MethodResult, compare, run_method
from keras_fip.continual.streams import (
    Task, TaskStream, class_split, dataset_sequence, make_stream, permuted, rotated,
)
