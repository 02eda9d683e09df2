"""The chat page as a person uses it, through Playwright: type and press
Enter, click a button, read what is on the screen."""
from __future__ import annotations

from playwright.async_api import Page

ASSISTANT = "#log .msg.out:not(.notice)"  # the assistant's own messages
ANY_REPLY = "#log .msg.out"  # the assistant's and the gateway's notices

# The replies after the citizen's last message: [(text, [button titles])].
LATEST = """sel => {
  const all = [...document.querySelectorAll('#log .msg')];
  let i = all.length - 1;
  while (i >= 0 && !all[i].classList.contains('in')) i--;
  return all.slice(i + 1).filter(m => m.matches(sel))
    .map(m => [m.querySelector('.bubble').textContent, [...m.querySelectorAll('.choices button')].map(b => b.textContent)]);
}"""


async def count(page: Page, selector: str = ASSISTANT) -> int:
    return await page.locator(selector).count()


async def wait_for_answer(page: Page, before: int, selector: str = ASSISTANT) -> list[tuple[str, list[str]]]:
    """Wait until there are more replies than `before`, then read the latest ones."""
    await page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length > n", arg=[selector, before])
    return [tuple(m) for m in await page.evaluate(LATEST, selector)]


async def type_and_send(page: Page, text: str, selector: str = ASSISTANT) -> list[tuple[str, list[str]]]:
    before = await count(page, selector)
    await page.locator("#input").fill(text)
    await page.locator("#input").press("Enter")
    return await wait_for_answer(page, before, selector)


async def press(page: Page, title: str) -> list[tuple[str, list[str]]]:
    before = await count(page)
    await page.locator(ASSISTANT).filter(has=page.get_by_role("button", name=title)).last \
        .get_by_role("button", name=title).click()
    return await wait_for_answer(page, before)
