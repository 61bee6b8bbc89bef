/**
 * What every Modal of the console is given: a named close button, and no scroll lock (Mantine's lock writes a
 * <style> element, which the console's CSP refuses; the dialog still traps focus and closes on Escape).
 */
export const DIALOG = { lockScroll: false, closeButtonProps: { 'aria-label': 'Close the dialog' }, transitionProps: { duration: 0 } } as const;
