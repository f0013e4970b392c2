"""A small bilingual bank KB as chunks, shared by retriever tests."""

from __future__ import annotations

from retrieval.types import ChunkRecord

FAQ = [
    ("cards-1", "zh", "cards", "credit", "信用卡年费怎么收取？", "白金卡首年免年费，次年刷卡六次免年费。"),
    (
        "cards-2",
        "zh",
        "cards",
        "credit",
        "信用卡账单日是哪一天？",
        "账单日为每月五日，缴款截止日为账单日后十五天。",
    ),
    ("cards-3", "zh", "cards", "debit", "金融卡遗失如何挂失？", "请立即拨打客服专线办理挂失。"),
    ("loans-1", "zh", "loans", "mortgage", "房贷可以提前还款吗？", "可以，提前还款需支付违约金。"),
    ("fx-1", "zh", "fx", "remit", "外币汇款手续费多少？", "每笔收取新台币三百元。"),
    ("cards-4", "en", "cards", "credit", "How do I raise my credit card limit?", "Apply in the mobile app."),
    ("cards-5", "en", "cards", "debit", "What should I do if my debit card is lost?", "Block it in the app."),
    ("online-1", "en", "online", "web", "How do I reset my online banking password?", "Use Forgot password."),
    ("loans-2", "en", "loans", "mortgage", "Can I repay my mortgage early?", "Yes, with a small fee."),
    ("fx-2", "en", "fx", "remit", "What are the fees for international wire transfers?", "25 USD each."),
]


def chunks() -> list[ChunkRecord]:
    return [
        ChunkRecord(
            chunk_id=f"{doc}#0",
            document_id=doc,
            text=f"{q}\n{a}",
            embed_text=q,
            title=doc,
            lang=lang,
            metadata={"kind": "faq", "collection": coll, "product": prod},
        )
        for doc, lang, coll, prod, q, a in FAQ
    ]
