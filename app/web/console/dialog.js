// One modal <dialog> (#dialog in console.html) reused for every confirmation form: native focus trap,
// Escape to cancel, focus returns to the opener.
import { clear } from "/static/kit/kit.js";

const $ = (id) => document.getElementById(id);

export function openDialog({ title, body, ok, cancel, onOk, onError, validate }) {
  const dialog = $("dialog");
  const opener = document.activeElement;
  $("dialog-title").textContent = title;
  const box = clear($("dialog-body"));
  for (const node of body) box.appendChild(node);
  $("dialog-ok").textContent = ok;
  $("dialog-cancel").textContent = cancel;
  const okButton = $("dialog-ok");
  okButton.disabled = false;

  const onClick = async (e) => {
    if (e.submitter && e.submitter.value === "ok") {
      e.preventDefault();
      if (validate && !validate()) {
        const first = box.querySelector("input, textarea");
        if (first) first.focus();
        return;
      }
      okButton.disabled = true;
      try {
        await onOk();
        dialog.close("ok");
      } catch (err) {
        okButton.disabled = false;
        if (onError) onError(err);
      }
    }
  };
  const form = $("dialog-form");
  form.addEventListener("submit", onClick);
  dialog.addEventListener("close", () => {
    form.removeEventListener("submit", onClick);
    if (opener && opener.focus) opener.focus();
  }, { once: true });
  dialog.showModal();
  const first = box.querySelector("input:not([type=radio]), textarea, input");
  if (first) first.focus();
}
