/* placeholder until the formats land */
#include "tool.h"
int tool_image(struct dfu_ctx *ctx, int argc, char **argv) { (void)ctx; (void)argc; (void)argv; return DFU_ERR_UNSUPPORTED; }
int tool_convert(struct dfu_ctx *ctx, int argc, char **argv) { (void)ctx; (void)argc; (void)argv; return DFU_ERR_UNSUPPORTED; }
