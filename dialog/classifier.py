"""Intent classifier trained from a tenant's labelled examples.

Features: the sentence embedding (from the embedding function passed in, the same one retrieval uses)
joined with character n-gram TF-IDF of the text (robust to typos, works for Chinese without a
segmenter). Model: multinomial logistic regression. An example labelled ``out_of_scope`` teaches what
the tenant does not serve; at prediction time anything whose best probability is below ``threshold``,
or whose best label is ``out_of_scope``, comes back as ``out_of_scope``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dialog.errors import IntentConfigError, NotTrained
from dialog.intents import OUT_OF_SCOPE, IntentSet

logger = logging.getLogger(__name__)

EmbedFn = Callable[[Sequence[str]], npt.NDArray[np.floating[Any]]]


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    intent: str  # OUT_OF_SCOPE when nothing fits well enough
    confidence: float  # probability of the best label (in-scope or not), 0..1
    best: str  # the best label before the threshold was applied
    top: tuple[tuple[str, float], ...]  # up to 3 (label, probability), best first


@dataclass(frozen=True, slots=True)
class ClassifierParams:
    """Defaults chosen on the BANKING77 and CLINC150 validation data (docs/BENCHMARKS.md, "Dialog")."""

    threshold: float = 0.5
    c: float = 10.0  # inverse regularisation of the logistic regression
    embedding_weight: float = 2.0  # scale of the embedding block against the n-gram block
    char_ngrams: tuple[int, int] = (2, 4)  # 0, 0 switches the n-gram block off
    max_ngram_features: int = 50_000  # the most frequent n-grams kept (bounds training time and memory)
    max_iter: int = 300


class IntentClassifier:
    """``fit`` / ``fit_intents`` then ``predict``. Thread-safe for prediction once trained."""

    def __init__(self, embed: EmbedFn, params: ClassifierParams | None = None) -> None:
        if not callable(embed):
            raise TypeError("embed must be a callable: texts -> (n, dim) array of L2-normalised rows")
        self._embed = embed
        self.params = params or ClassifierParams()
        if not 0.0 <= self.params.threshold <= 1.0:
            raise ValueError("threshold must be within 0..1")
        self._model: Any = None
        self._vectorizer: Any = None
        self._labels: list[str] = []
        self.train_seconds = 0.0

    @property
    def is_trained(self) -> bool:
        return self._model is not None

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        vectors = np.asarray(self._embed(list(texts)), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"embed returned shape {vectors.shape} for {len(texts)} texts; want (n, dim)")
        return vectors

    def _features(self, texts: Sequence[str], vectors: npt.NDArray[np.float32]) -> Any:
        dense = vectors * self.params.embedding_weight
        if self._vectorizer is None:
            return dense
        from scipy.sparse import csr_matrix, hstack

        return hstack([csr_matrix(dense), self._vectorizer.transform(list(texts))]).tocsr()

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> IntentClassifier:
        """Train on (text, label) pairs; ``vectors`` are precomputed embeddings of ``texts`` if at hand."""
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        distinct = sorted(set(labels))
        if len([lab for lab in distinct if lab != OUT_OF_SCOPE]) < 1 or len(distinct) < 2:
            raise IntentConfigError("need examples of at least two labels (or one intent and out_of_scope)")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        start = time.perf_counter()
        vecs = self.embed(texts) if vectors is None else np.asarray(vectors, dtype=np.float32)
        lo, hi = self.params.char_ngrams
        if hi > 0:
            self._vectorizer = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(lo, hi),
                sublinear_tf=True,
                lowercase=True,
                max_features=self.params.max_ngram_features,
            ).fit(list(texts))
        else:
            self._vectorizer = None
        from threadpoolctl import threadpool_limits

        model = LogisticRegression(C=self.params.c, max_iter=self.params.max_iter)
        with threadpool_limits(limits=1), warnings.catch_warnings():
            # One BLAS thread: on a shared 2-vCPU machine more threads only fight; an unconverged fit
            # after max_iter is fine for ranking intents (checked on BANKING77), so no warning.
            warnings.simplefilter("ignore", category=UserWarning)
            model.fit(self._features(texts, vecs), list(labels))
        self._model = model
        self._labels = [str(c) for c in model.classes_]
        self._compile(vecs.shape[1])
        self.train_seconds = time.perf_counter() - start
        logger.info(
            "intent classifier: %d examples, %d labels, %.1f s", len(texts), len(distinct), self.train_seconds
        )
        return self

    def fit_intents(self, intents: IntentSet) -> IntentClassifier:
        texts, labels = intents.training_data()
        return self.fit(texts, labels)

    def _compile(self, dim: int) -> None:
        """Pull the weights out of scikit-learn: predicting one message is then a few dot products
        (scikit-learn's per-call validation costs milliseconds; a turn's budget is 5 ms)."""
        coef = np.asarray(self._model.coef_, dtype=np.float64)
        intercept = np.asarray(self._model.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:  # two classes: scikit-learn keeps one row (the second class's logit)
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.array([0.0, intercept[0]])
        self._w_dense = coef[:, :dim].T.copy() * self.params.embedding_weight  # (dim, k)
        self._w_ngram = coef[:, dim:].T.copy()  # (vocab, k)
        self._bias = intercept
        if self._vectorizer is not None:
            self._analyzer = self._vectorizer.build_analyzer()
            self._vocab: dict[str, int] = self._vectorizer.vocabulary_
            self._idf = np.asarray(self._vectorizer.idf_, dtype=np.float64)

    def _ngram_scores(self, text: str) -> npt.NDArray[np.float64]:
        counts: dict[int, int] = {}
        for gram in self._analyzer(text):
            j = self._vocab.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(self._w_ngram.shape[1])
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))  # sublinear
        values = tf * self._idf[idx]
        values /= np.linalg.norm(values)
        out: npt.NDArray[np.float64] = values @ self._w_ngram[idx]
        return out

    def probabilities(
        self, texts: Sequence[str], vectors: npt.NDArray[np.float32] | None = None
    ) -> npt.NDArray[np.float64]:
        """(n, len(labels)) class probabilities, columns in ``labels`` order."""
        if self._model is None:
            raise NotTrained("the intent classifier is not trained: call fit() or fit_intents() first")
        vecs = self.embed(texts) if vectors is None else np.asarray(vectors, dtype=np.float32)
        logits = vecs.astype(np.float64) @ self._w_dense + self._bias
        if self._vectorizer is not None:
            logits += np.stack([self._ngram_scores(t) for t in texts])
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        out: npt.NDArray[np.float64] = logits / logits.sum(axis=1, keepdims=True)
        return out

    def decide(
        self, probs: npt.NDArray[np.float64], threshold: float | None = None
    ) -> list[IntentPrediction]:
        """Apply the out-of-scope rule to rows of ``probabilities``."""
        t = self.params.threshold if threshold is None else threshold
        out = []
        for row in probs:
            order = np.argsort(-row)[:3]
            best = self._labels[int(order[0])]
            conf = float(row[order[0]])
            intent = OUT_OF_SCOPE if best == OUT_OF_SCOPE or conf < t else best
            top = tuple((self._labels[int(i)], round(float(row[i]), 4)) for i in order)
            out.append(IntentPrediction(intent=intent, confidence=conf, best=best, top=top))
        return out

    def predict(
        self, texts: Sequence[str], vectors: npt.NDArray[np.float32] | None = None
    ) -> list[IntentPrediction]:
        if not texts:
            return []
        return self.decide(self.probabilities(texts, vectors))
