/** The plugin API version this kernel implements; manifests' `engines.rimuru` ranges are checked against it. */
export const KERNEL_API_VERSION = '1.0.0';
