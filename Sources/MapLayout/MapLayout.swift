// MapLayout
