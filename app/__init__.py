"""kefu (客服): the HTTP edge and the one composition root of the platform."""
