/* Windows-compatible <security.h>: everything is in opensspi.h. */
#include "opensspi.h"
