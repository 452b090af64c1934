#ifndef FEATURE_ATLAS_CLIBXML2_SHIM_H
#define FEATURE_ATLAS_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
/* ICU types clash with Foundation's; the parser needs none of them. */
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#endif
