import { useEffect } from 'react'

let isFirstPage = true

/**
 * Sets the document title to `<title> · Liaison` and, after a client-side navigation, moves focus to
 * the page's h1 so that screen readers announce the new page (unless a form field took focus itself).
 */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Liaison`
    if (isFirstPage) {
      isFirstPage = false
      return
    }
    const active = document.activeElement
    if (
      active instanceof HTMLInputElement ||
      active instanceof HTMLSelectElement ||
      active instanceof HTMLTextAreaElement
    ) {
      return
    }
    const heading = document.querySelector<HTMLElement>('main h1')
    if (heading) {
      heading.tabIndex = -1
      heading.focus({ preventScroll: true })
    }
  }, [title])
}
