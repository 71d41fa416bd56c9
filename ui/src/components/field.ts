// A labelled form field with its hint and its own error line, read by screen readers with the input.
import { h, nextId } from "../dom";

export interface Field {
  wrap: HTMLElement;
  input: HTMLInputElement | HTMLSelectElement;
  error: HTMLElement;
}

export function field(label: string, hint: string, control: HTMLInputElement | HTMLSelectElement, extra: HTMLElement | null = null): Field {
  const id = nextId("f");
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  control.id = id;
  control.setAttribute("aria-describedby", `${hintId} ${errId}`);
  const error = h("p", { class: "field-error", id: errId, hidden: true });
  const wrap = h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    extra ? h("div", { class: "input-with-button" }, control, extra) : control,
    h("p", { class: "hint", id: hintId }, hint),
    error,
  );
  return { wrap, input: control, error };
}

export function setFieldError(f: Field, message: string | null): void {
  f.error.hidden = message === null;
  f.error.textContent = message ?? "";
  if (message) f.input.setAttribute("aria-invalid", "true");
  else f.input.removeAttribute("aria-invalid");
}
