// Package a11ytest holds the accessible-name check that the browser tests
// (e2e, wasm/exttest) run on every screen they take a screenshot of.
package a11ytest

// UnnamedJS is a JavaScript expression listing (as outerHTML excerpts) the
// controls and landmarks of the page that have no accessible name: an
// aria-label, an aria-labelledby that names elements with text, a label,
// a title, an alt (images; alt="" marks decoration), a legend
// (fieldsets), or their own text (buttons, links, menu items). After
// https://www.w3.org/TR/accname-1.2/, simplified to what the UI uses.
const UnnamedJS = `(() => {
  const text = (e) => (e ? e.textContent.trim() : "");
  const name = (el) => {
    const label = el.getAttribute("aria-label");
    if (label && label.trim()) return label;
    const by = el.getAttribute("aria-labelledby");
    if (by) {
      const t = by.split(/\s+/).map((id) => text(document.getElementById(id))).join(" ").trim();
      if (t) return t;
    }
    if (el.labels && Array.from(el.labels).some((l) => text(l))) return "label";
    if (el.tagName === "IMG") return el.hasAttribute("alt") ? "alt" : "";
    if (el.getAttribute("title")) return el.getAttribute("title");
    if (el.tagName === "FIELDSET") return text(el.querySelector("legend"));
    const role = el.getAttribute("role") || "";
    if (["BUTTON", "A", "SUMMARY"].includes(el.tagName) || /^(button|menuitem|link)$/.test(role)) return text(el);
    return "";
  };
  const sel = "button, input:not([type=hidden]), select, textarea, a[href], summary, img, fieldset, nav," +
    " [role=button], [role=menuitem], [role=menu], [role=dialog], [role=alertdialog], section[aria-labelledby]";
  return Array.from(document.querySelectorAll(sel)).filter((el) => !name(el)).map((el) => el.outerHTML.slice(0, 200));
})()`
