"""Evaluation harnesses of the dialog layer (intents, out-of-scope, dialogs, SGD); data in, figures out.

Pure library code: the CLI (``app/evals/cli/cmd_eval_dialog.py``) supplies the embedder, the retrieval signal
and the model adapter.
"""
