import { Pagination } from '@mantine/core'

/** Props of {@link PagePagination}. */
export interface PagePaginationProps {
  /** Number of pages; nothing is shown for one page or none. */
  pages: number
  /** Current page, 1-based. */
  page: number
  /** Called with the page the user picks. */
  onChange: (page: number) => void
}

/** Page links for a list, with accessible names on every control. */
export function PagePagination({ pages, page, onChange }: PagePaginationProps) {
  if (pages <= 1) {
    return null
  }
  return (
    <Pagination
      total={pages}
      value={Math.min(page, pages)}
      onChange={onChange}
      getControlProps={(control) => ({
        'aria-label': control === 'previous' ? 'Previous page' : 'Next page',
      })}
      getItemProps={(item) => ({ 'aria-label': `Page ${item}` })}
    />
  )
}
