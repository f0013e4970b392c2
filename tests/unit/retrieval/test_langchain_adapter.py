"""The LangChain adapter inside a real LCEL chain (retriever -> prompt -> model -> parser)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from retrieval.config import RetrievalConfig
from retrieval.index.store import IndexStore
from retrieval.langchain_adapter import EmbedderEmbeddings, KefuRetriever
from retrieval.testing import HashEmbedder
from retrieval.types import SearchFilters
from tests.unit.retrieval import corpus, models


def kb(tmp_path: Path) -> IndexStore:
    store = IndexStore(tmp_path, HashEmbedder(), RetrievalConfig(), analyzer=models.analyzer())
    store.warm_up()
    store.build_version("t1", "v7", corpus.chunks())
    return store


def test_retriever_runs_inside_an_lcel_chain(tmp_path: Path) -> None:
    retriever = KefuRetriever(retriever=kb(tmp_path).open("t1", "v7"), k=2, filters=SearchFilters(lang="en"))
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Answer from the context.\n{context}"), ("human", "{question}")]
    )
    seen: dict[str, str] = {}

    def record(value):  # type: ignore[no-untyped-def]
        seen["prompt"] = value.to_string()
        return value

    def join(docs: list[Document]) -> str:
        return "\n".join(d.page_content for d in docs)

    chain = (
        {"context": retriever | join, "question": RunnablePassthrough()}
        | prompt
        | RunnableLambda(record)
        | FakeListChatModel(responses=["Block it in the app."])
        | StrOutputParser()
    )
    assert chain.invoke("What should I do if my debit card is lost?") == "Block it in the app."
    assert "What should I do if my debit card is lost?\nBlock it in the app." in seen["prompt"]


def test_documents_carry_ids_scores_and_version(tmp_path: Path) -> None:
    retriever = KefuRetriever(retriever=kb(tmp_path).open("t1", "v7"), k=3)
    docs = retriever.invoke("房贷可以提前还款吗")
    assert docs[0].metadata["document_id"] == "loans-1"
    assert docs[0].id == "loans-1#0"
    assert docs[0].metadata["kb_version"] == "v7"
    assert docs[0].metadata["dense_score"] is not None
    assert docs[0].metadata["collection"] == "loans"
    assert len(docs) == 3


async def test_async_invoke_works(tmp_path: Path) -> None:
    retriever = KefuRetriever(retriever=kb(tmp_path).open("t1", "v7"), k=1)
    docs = await retriever.ainvoke("wire transfer fees")
    assert docs[0].metadata["document_id"] == "fx-2"


def test_embeddings_adapter_uses_passage_and_query_sides() -> None:
    emb = EmbedderEmbeddings(HashEmbedder(dim=8))
    assert len(emb.embed_documents(["a", "b"])) == 2
    assert len(emb.embed_query("a")) == 8
